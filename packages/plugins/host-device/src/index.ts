// The CNI host-device plugin: move an existing host network device into the container (and
// back on DEL) through a private temporary namespace, so that the rename to CNI_IFNAME never
// happens where udev or NetworkManager can see it (cni-reference §3.7).
import { configureIface, linkByNameOrUndefined } from '@cni/ip';
import { type Link, Netlink } from '@cni/netlink';
import { NetNS } from '@cni/ns';
import { type CmdArgs, CniError, ErrCode, type PluginDef, type Result, versionsFrom } from '@cni/skel';
import {
  checkAddrsRoutes,
  checkIfaceCommon,
  checkPrelude,
  gcViaIpam,
  ipamAdd,
  ipamDel,
  msg,
  openNetNS,
  openNetNSForDel,
  Rollback,
  statusViaIpam,
} from '@cni/ip';
import { type HostDeviceConf, loadConf, netdevFromSysfs, type SysfsOptions } from './config.js';

export {
  type HostDeviceConf,
  hasDpdkDriver,
  loadConf,
  netdevFromSysfs,
  type SysfsOptions,
  sysfsRoot,
  USERSPACE_DRIVERS,
} from './config.js';

const fail = (m: string): CniError => new CniError(ErrCode.Internal, m);

/** The host device the configuration names (looked up in the namespace the plugin runs in). */
export function findHostDevice(nl: Netlink, conf: HostDeviceConf, opts: SysfsOptions = {}): Link {
  try {
    if (conf.device) return nl.linkByName(conf.device);
    if (conf.hwaddr) {
      const l = nl.linkByMac(conf.hwaddr);
      if (!l) throw new Error('failed to find physical interface');
      return l;
    }
    const name = netdevFromSysfs(conf, opts);
    if (name === undefined) throw new Error('failed to find physical interface');
    return nl.linkByName(name);
  } catch (e) {
    throw fail(`failed to find host device: ${msg(e)}`);
  }
}

/** Run the undo actions newest first, ignoring their errors (the original error wins). */
function unwind(undo: (() => void)[]): void {
  for (const u of undo.reverse()) {
    try {
      u();
    } catch (e) {
      process.stderr.write(`rollback: ${msg(e)}\n`);
    }
  }
}

/**
 * host → temporary netns → rename to `ifName`, alias = host name → container → up. Every
 * step is undone when a later one fails, and the device is set up again in the host if it
 * was up before. Returns the device as seen in the container.
 */
export function moveLinkIn(hostDev: Link, contNs: NetNS, ifName: string): Link {
  const hostName = hostDev.name;
  const hostNs = NetNS.current();
  const tmp = NetNS.createTemp();
  const hnl = Netlink.open(hostNs);
  let tnl: Netlink | undefined;
  let cnl: Netlink | undefined;
  const undo: (() => void)[] = [];
  try {
    try {
      hnl.linkSetNsFd(hostDev.index, tmp.fd);
    } catch (e) {
      throw fail(`failed to move ${JSON.stringify(hostName)} to tempNS: ${msg(e)}`);
    }
    tnl = Netlink.open(tmp);
    cnl = Netlink.open(contNs);
    const t = tnl;
    const c = cnl;
    let dev: Link;
    try {
      dev = t.linkByName(hostName);
    } catch (e) {
      throw fail(`failed to find ${JSON.stringify(hostName)} in tempNS: ${msg(e)}`);
    }
    const cur = { index: dev.index };
    undo.push(() => t.linkSetNsFd(cur.index, hostNs.fd));
    if (hostName !== ifName) {
      try {
        t.linkSetName(cur.index, ifName);
      } catch (e) {
        throw fail(
          `failed to rename host device ${JSON.stringify(hostName)} to ${JSON.stringify(ifName)}: ${msg(e)}`,
        );
      }
      undo.push(() => t.linkSetName(cur.index, hostName));
    }
    try {
      t.linkSetAlias(cur.index, hostName);
    } catch (e) {
      throw fail(`failed to set alias to ${JSON.stringify(hostName)}: ${msg(e)}`);
    }
    undo.push(() => t.linkSetAlias(cur.index, ''));
    try {
      t.linkSetNsFd(cur.index, contNs.fd);
    } catch (e) {
      throw fail(
        `failed to move ${JSON.stringify(ifName)} (host: ${JSON.stringify(hostName)}) to container NS: ${msg(e)}`,
      );
    }
    undo.push(() => {
      c.linkSetNsFd(c.linkByName(ifName).index, tmp.fd);
      cur.index = t.linkByName(ifName).index;
    });
    let contDev: Link;
    try {
      contDev = c.linkByName(ifName);
    } catch (e) {
      throw fail(`failed to find ${JSON.stringify(ifName)} in container NS: ${msg(e)}`);
    }
    try {
      c.linkSetUp(contDev.index);
    } catch (e) {
      throw fail(`failed to set ${JSON.stringify(ifName)} up: ${msg(e)}`);
    }
    return c.linkByName(ifName);
  } catch (e) {
    unwind(undo);
    if (hostDev.up) {
      try {
        const back = hnl.linkByName(hostName);
        hnl.linkSetUp(back.index);
      } catch {
        // it did not come back; the error below says why
      }
    }
    throw e;
  } finally {
    tnl?.close();
    cnl?.close();
    hnl.close();
    tmp.close();
    hostNs.close();
  }
}

/**
 * container → temporary netns → rename to the alias (the original host name), clear the
 * alias → host, left down. False when the device is not in the container (DEL is idempotent).
 */
export function moveLinkOut(contNs: NetNS, ifName: string): boolean {
  const hostNs = NetNS.current();
  const cnl = Netlink.open(contNs);
  let tmp: NetNS | undefined;
  try {
    const dev = linkByNameOrUndefined(cnl, ifName);
    if (!dev) return false;
    const hostName = dev.alias ?? '';
    if (!hostName) {
      throw fail(`failed to find original ifname for ${JSON.stringify(ifName)} (alias is not set)`);
    }
    tmp = NetNS.createTemp();
    try {
      cnl.linkSetNsFd(dev.index, tmp.fd);
    } catch (e) {
      throw fail(`failed to move ${JSON.stringify(ifName)} to tempNS: ${msg(e)}`);
    }
    const tnl = Netlink.open(tmp);
    const undo: (() => void)[] = [];
    try {
      let t: Link;
      try {
        t = tnl.linkByName(ifName);
      } catch (e) {
        throw fail(`failed to find ${JSON.stringify(ifName)} in tempNS: ${msg(e)}`);
      }
      const index = t.index;
      undo.push(() => {
        tnl.linkSetNsFd(index, contNs.fd);
        if (dev.up) cnl.linkSetUp(cnl.linkByName(ifName).index);
      });
      if (hostName !== ifName) {
        try {
          tnl.linkSetName(index, hostName);
        } catch (e) {
          throw fail(
            `failed to rename device ${JSON.stringify(ifName)} to ${JSON.stringify(hostName)}: ${msg(e)}`,
          );
        }
        undo.push(() => tnl.linkSetName(index, ifName));
      }
      try {
        tnl.linkSetAlias(index, '');
      } catch (e) {
        throw fail(`failed to unset alias of ${JSON.stringify(hostName)}: ${msg(e)}`);
      }
      undo.push(() => tnl.linkSetAlias(index, hostName));
      try {
        tnl.linkSetNsFd(index, hostNs.fd);
      } catch (e) {
        throw fail(`failed to move ${JSON.stringify(hostName)} to hostNS: ${msg(e)}`);
      }
      return true;
    } catch (e) {
      unwind(undo);
      throw e;
    } finally {
      tnl.close();
    }
  } finally {
    cnl.close();
    tmp?.close();
    hostNs.close();
  }
}

export async function cmdAdd(args: CmdArgs, opts: SysfsOptions = {}): Promise<Result> {
  const conf = loadConf(args.stdinData, opts);
  const contNs = openNetNS(args.netns);
  const rb = new Rollback();
  try {
    const result: Result = { cniVersion: '1.1.0', interfaces: [{ name: args.ifName, sandbox: args.netns }] };
    if (!conf.dpdkMode) {
      const hnl = Netlink.open();
      let hostDev: Link;
      try {
        hostDev = findHostDevice(hnl, conf, opts);
      } finally {
        hnl.close();
      }
      let contDev: Link;
      try {
        contDev = moveLinkIn(hostDev, contNs, args.ifName);
      } catch (e) {
        throw fail(`failed to move link ${msg(e)}`);
      }
      rb.push(`move ${args.ifName} back to the host`, () => moveLinkOut(contNs, args.ifName));
      result.interfaces = [{ name: contDev.name, mac: contDev.mac, sandbox: args.netns }];
    }
    if (!conf.ipam?.type) return result;
    const r = await ipamAdd(conf, args.stdinData, rb);
    result.ips = r.ips ?? [];
    if (r.routes) result.routes = r.routes;
    if (!conf.dpdkMode) {
      try {
        configureIface(contNs, args.ifName, result);
      } catch (e) {
        throw fail(msg(e));
      }
    }
    if (conf.dns) result.dns = conf.dns;
    return result;
  } catch (e) {
    await rb.run();
    throw e;
  } finally {
    contNs.close();
  }
}

/**
 * DEL releases IPAM first, also when the namespace is already gone (reference bug #1196:
 * after a reboot the addresses leaked), then moves the device back to the host. A device no
 * longer in the container, a missing netns and a second DEL succeed.
 */
export async function cmdDel(args: CmdArgs, opts: SysfsOptions = {}): Promise<void> {
  const conf = loadConf(args.stdinData, { ...opts, resolveSysfs: false });
  await ipamDel(conf, args.stdinData);
  if (args.netns === '' || conf.dpdkMode) return;
  const contNs = openNetNSForDel(args.netns);
  if (!contNs) return;
  try {
    moveLinkOut(contNs, args.ifName);
  } finally {
    contNs.close();
  }
}

export async function cmdCheck(args: CmdArgs, opts: SysfsOptions = {}): Promise<void> {
  const conf = loadConf(args.stdinData, opts);
  const contNs = openNetNS(args.netns);
  try {
    const { prev, iface } = await checkPrelude(conf, args.stdinData, args.ifName, args.netns);
    if (conf.dpdkMode) return;
    const nl = Netlink.open(contNs);
    try {
      checkIfaceCommon(nl, iface);
      checkAddrsRoutes(nl, args.ifName, prev);
    } finally {
      nl.close();
    }
  } finally {
    contNs.close();
  }
}

/** STATUS goes to IPAM; nothing of this plugin outlives its container's namespace: IPAM gets the GC. */
export const cmdStatus = statusViaIpam;
export const cmdGC = gcViaIpam;

export const plugin: PluginDef = {
  type: 'host-device',
  versions: versionsFrom('0.1.0'),
  about: 'CNI host-device plugin',
  add: (a) => cmdAdd(a),
  del: (a) => cmdDel(a),
  check: (a) => cmdCheck(a),
  status: cmdStatus,
  gc: cmdGC,
};
