// host-device configuration (cni-reference §3.7): which host device to move, and whether it
// is a DPDK-bound PCI device (then nothing is moved). The sysfs root is injectable so the PCI
// and auxiliary-bus paths can be tested against a fake tree.
import { existsSync, lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseMAC } from '@cni/ip';
import { CniError, ErrCode, type NetConf, parseNetConf } from '@cni/skel';
import { invalid, optString } from '@cni/ip';

/** Drivers that bind a NIC for userspace (DPDK): such a device has no netdev to move. */
export const USERSPACE_DRIVERS: readonly string[] = ['vfio-pci', 'uio_pci_generic', 'igb_uio'];

export interface HostDeviceConf extends NetConf {
  device: string;
  hwaddr: string;
  kernelpath: string;
  pciBusID: string;
  /** an auxiliary-bus device named by runtimeConfig.deviceID */
  auxDevice: string;
  dpdkMode: boolean;
}

export interface SysfsOptions {
  /** where sysfs is mounted (default `/sys`) */
  sysfsRoot?: string;
}

/** The sysfs root: the option, else `CNI_TS_SYSFS_ROOT` (tests), else /sys. */
export function sysfsRoot(opts: SysfsOptions = {}): string {
  return opts.sysfsRoot ?? process.env.CNI_TS_SYSFS_ROOT ?? '/sys';
}

/** A bus device name (PCI `0000:00:19.0`, auxiliary `mlx5_core.sf.4`): one path component. */
function checkBusName(key: string, v: string): void {
  if (!/^[A-Za-z0-9_.:-]+$/.test(v) || v === '.' || v === '..') {
    throw invalid(key, v, 'not a PCI or auxiliary device name');
  }
}

/**
 * Parse and validate. `resolveSysfs: false` (DEL) skips the sysfs look-ups that only ADD
 * and CHECK need, so a DEL after the device vanished still releases IPAM.
 */
export function loadConf(
  stdin: Buffer | string,
  opts: SysfsOptions & { resolveSysfs?: boolean } = {},
): HostDeviceConf {
  const conf = parseNetConf(stdin);
  const raw = conf.raw;
  const out: HostDeviceConf = {
    ...conf,
    device: optString(raw, 'device'),
    hwaddr: optString(raw, 'hwaddr'),
    kernelpath: optString(raw, 'kernelpath'),
    pciBusID: optString(raw, 'pciBusID'),
    auxDevice: '',
    dpdkMode: false,
  };
  if (out.hwaddr && !parseMAC(out.hwaddr)) throw invalid('hwaddr', out.hwaddr, 'not a MAC address');
  if (out.kernelpath) {
    const kp = out.kernelpath;
    if (!kp.startsWith('/sys/devices/') || kp.split('/').some((p) => p === '..' || p === '.')) {
      throw new CniError(
        ErrCode.InvalidNetworkConfig,
        `kernel device path ${JSON.stringify(kp)} must be absolute and begin with /sys/devices/`,
      );
    }
  }
  if (out.pciBusID) checkBusName('pciBusID', out.pciBusID);
  const rc = conf.runtimeConfig;
  const deviceID = rc ? optString(rc, 'deviceID', 'runtimeConfig.') : '';
  if (deviceID) checkBusName('runtimeConfig.deviceID', deviceID);
  const root = sysfsRoot(opts);
  const resolve = opts.resolveSysfs ?? true;
  if (deviceID) {
    if (existsSync(join(root, 'bus/pci/devices', deviceID))) {
      out.pciBusID = deviceID;
    } else if (existsSync(join(root, 'bus/auxiliary/devices', deviceID))) {
      out.pciBusID = '';
      out.auxDevice = deviceID;
    } else if (resolve) {
      throw new CniError(
        ErrCode.InvalidNetworkConfig,
        `runtime config DeviceID ${deviceID} not found or unsupported`,
      );
    }
  }
  if (
    !out.device &&
    !out.hwaddr &&
    !out.kernelpath &&
    !out.pciBusID &&
    !out.auxDevice &&
    !(deviceID && !resolve)
  ) {
    throw new CniError(
      ErrCode.InvalidNetworkConfig,
      'specify either "device", "hwaddr", "kernelpath" or "pciBusID"',
    );
  }
  if (out.pciBusID) {
    try {
      out.dpdkMode = hasDpdkDriver(root, out.pciBusID);
    } catch (e) {
      if (resolve) {
        throw new CniError(ErrCode.InvalidNetworkConfig, `error with host device: ${(e as Error).message}`);
      }
    }
  }
  return out;
}

/** Is the PCI device bound to a userspace (DPDK) driver? Errors when it has no driver link. */
export function hasDpdkDriver(root: string, pciAddr: string): boolean {
  const link = join(root, 'bus/pci/devices', pciAddr, 'driver');
  const target = realpathSync(link);
  statSync(target);
  return USERSPACE_DRIVERS.includes(basename(target));
}

/** The first entry of a sysfs `net` directory (sorted, as Go's os.ReadDir). */
function firstNetdev(dir: string): string {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (e) {
    throw new Error(`failed to read directory ${dir}: "${(e as Error).message}"`);
  }
  const first = entries[0];
  if (first === undefined) throw new Error(`failed to find network device in path ${dir}`);
  return first;
}

/**
 * The name of the netdev a sysfs-based key points at (kernelpath, PCI, auxiliary), or
 * undefined when the device is chosen by `device`/`hwaddr`.
 */
export function netdevFromSysfs(conf: HostDeviceConf, opts: SysfsOptions = {}): string | undefined {
  const root = sysfsRoot(opts);
  if (conf.device || conf.hwaddr) return undefined;
  if (conf.kernelpath) return firstNetdev(join(root, conf.kernelpath.slice('/sys/'.length), 'net'));
  if (conf.pciBusID) {
    const base = join(root, 'bus/pci/devices', conf.pciBusID);
    let netDir = join(base, 'net');
    let ok = true;
    try {
      lstatSync(netDir);
    } catch {
      ok = false;
    }
    if (!ok) {
      let virtio: string | undefined;
      try {
        virtio = readdirSync(base)
          .sort()
          .find((d) => d.startsWith('virtio') && existsSync(join(base, d, 'net')));
      } catch {
        virtio = undefined;
      }
      if (!virtio) throw new Error(`no net directory under pci device ${conf.pciBusID}`);
      netDir = join(base, virtio, 'net');
    }
    return firstNetdev(netDir);
  }
  if (conf.auxDevice) return firstNetdev(join(root, 'bus/auxiliary/devices', conf.auxDevice, 'net'));
  return undefined;
}
