import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CniError } from '@cni/skel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasDpdkDriver, loadConf, netdevFromSysfs } from './config.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'hd-sysfs-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const base = { cniVersion: '1.0.0', name: 'n', type: 'host-device' };
const load = (extra: object, resolveSysfs = true) =>
  loadConf(JSON.stringify({ ...base, ...extra }), { sysfsRoot: root, resolveSysfs });

function pci(id: string, driver: string, ...netdevs: string[]) {
  const dev = join(root, 'bus/pci/devices', id);
  mkdirSync(join(root, 'bus/pci/drivers', driver), { recursive: true });
  mkdirSync(dev, { recursive: true });
  symlinkSync(join(root, 'bus/pci/drivers', driver), join(dev, 'driver'));
  for (const n of netdevs) mkdirSync(join(dev, 'net', n), { recursive: true });
}

function err(fn: () => unknown): CniError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CniError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('host-device loadConf', () => {
  it('needs one way to name the device', () => {
    expect(err(() => load({})).msg).toBe('specify either "device", "hwaddr", "kernelpath" or "pciBusID"');
    expect(load({ device: 'eth1' }).device).toBe('eth1');
    expect(load({ HWADDR: '02:00:00:00:00:01' }).hwaddr).toBe('02:00:00:00:00:01');
  });

  it('validates keys, naming key and value', () => {
    expect(err(() => load({ device: 1 })).msg).toContain('key "device" must be a string, got number 1');
    expect(err(() => load({ hwaddr: 'x' })).msg).toBe('invalid "hwaddr" "x": not a MAC address');
    expect(err(() => load({ kernelpath: 'sys/devices/x' })).msg).toBe(
      'kernel device path "sys/devices/x" must be absolute and begin with /sys/devices/',
    );
    expect(err(() => load({ kernelpath: '/sys/devices/a/../../../etc' })).code).toBe(7);
    expect(err(() => load({ pciBusID: '..' })).msg).toBe(
      'invalid "pciBusID" "..": not a PCI or auxiliary device name',
    );
    expect(err(() => load({ runtimeConfig: { deviceID: 'a/b' } })).msg).toContain(
      '"runtimeConfig.deviceID" "a/b"',
    );
  });

  it('runtimeConfig.deviceID: a PCI device, else an auxiliary device, else an error', () => {
    pci('0000:00:1f.0', 'e1000e', 'eth1');
    mkdirSync(join(root, 'bus/auxiliary/devices/mlx5_core.sf.4/net/sf4'), { recursive: true });
    const p = load({ pciBusID: '0000:00:aa.0', runtimeConfig: { deviceID: '0000:00:1f.0' } });
    expect(p).toMatchObject({ pciBusID: '0000:00:1f.0', auxDevice: '', dpdkMode: false });
    const a = load({ runtimeConfig: { deviceID: 'mlx5_core.sf.4' } });
    expect(a).toMatchObject({ pciBusID: '', auxDevice: 'mlx5_core.sf.4' });
    expect(netdevFromSysfs(a, { sysfsRoot: root })).toBe('sf4');
    expect(err(() => load({ runtimeConfig: { deviceID: 'x.1' } })).msg).toBe(
      'runtime config DeviceID x.1 not found or unsupported',
    );
    // DEL does not need the device to still exist
    expect(load({ runtimeConfig: { deviceID: 'x.1' } }, false).dpdkMode).toBe(false);
  });

  it('DPDK mode for userspace drivers; an unbound PCI device is an error', () => {
    for (const d of ['vfio-pci', 'uio_pci_generic', 'igb_uio']) {
      pci(`0000:00:0${d.length % 10}.${d.length}`, d);
      expect(hasDpdkDriver(root, `0000:00:0${d.length % 10}.${d.length}`)).toBe(true);
    }
    pci('0000:00:1f.0', 'e1000e', 'eth1');
    expect(load({ pciBusID: '0000:00:1f.0' }).dpdkMode).toBe(false);
    pci('0000:00:1e.0', 'vfio-pci');
    expect(load({ pciBusID: '0000:00:1e.0' }).dpdkMode).toBe(true);
    mkdirSync(join(root, 'bus/pci/devices/0000:00:1d.0'), { recursive: true });
    expect(err(() => load({ pciBusID: '0000:00:1d.0' })).msg).toContain('error with host device: ');
  });

  it('finds the netdev: kernelpath, PCI net dir (first, sorted), virtio*/net; device/hwaddr need no sysfs', () => {
    mkdirSync(join(root, 'devices/pci0000:00/0000:00:19.0/net/enp0s25'), { recursive: true });
    expect(
      netdevFromSysfs(load({ kernelpath: '/sys/devices/pci0000:00/0000:00:19.0' }), { sysfsRoot: root }),
    ).toBe('enp0s25');
    pci('0000:00:1f.0', 'e1000e', 'eth3', 'eth2');
    expect(netdevFromSysfs(load({ pciBusID: '0000:00:1f.0' }), { sysfsRoot: root })).toBe('eth2');
    pci('0000:00:05.0', 'virtio-pci');
    mkdirSync(join(root, 'bus/pci/devices/0000:00:05.0/virtio2/net/ens5'), { recursive: true });
    expect(netdevFromSysfs(load({ pciBusID: '0000:00:05.0' }), { sysfsRoot: root })).toBe('ens5');
    pci('0000:00:06.0', 'e1000e');
    expect(() => netdevFromSysfs(load({ pciBusID: '0000:00:06.0' }), { sysfsRoot: root })).toThrow(
      'no net directory under pci device 0000:00:06.0',
    );
    expect(netdevFromSysfs(load({ device: 'eth0' }), { sysfsRoot: root })).toBeUndefined();
  });
});
