// The CNI tap plugin: a persistent tap device created inside the container namespace through
// /dev/net/tun, renamed to CNI_IFNAME, optionally a port of a bridge in that namespace, with
// optional IPAM (cni-reference §3.9). No `ip` is run.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { configureIface, delLinkByName, linkByNameOrUndefined, randomVethName } from '@cni/ip';
import { Netlink, tuntapCreate } from '@cni/netlink';
import { type NetNS, sysctlSetIn } from '@cni/ns';
import {
  type CmdArgs,
  CniError,
  ErrCode,
  type PluginDef,
  parseNetConf,
  type RawOutput,
  type Result,
  versionsFrom,
} from '@cni/skel';
import {
  checkAddrsRoutes,
  checkIfaceCommon,
  checkPrelude,
  delIpamThenLink,
  gcViaIpam,
  ipamAdd,
  msg,
  openNetNS,
  Rollback,
  statusViaIpam,
} from '@cni/ip';
import { parseConf, type TapConf } from './config.js';

export { parseConf, type TapConf } from './config.js';

const fail = (m: string): CniError => new CniError(ErrCode.Internal, m);

/**
 * With `selinuxContext`, the device must be created by a process running with that label
 * (the kernel labels a tun device after its creator). The plugin re-executes itself with the
 * exec label set; the child only creates the device. This variable carries its name.
 */
export const HELPER_ENV = 'CNI_TS_TAP_CREATE';

/** The tun/tap options of the reference: vnet header (+ multi-queue) on the netlink path. */
function tapOptions(conf: TapConf, name: string) {
  // The reference uses netlink (IFF_TAP|IFF_VNET_HDR) only when both owner and group are set,
  // and `ip tuntap add` (no vnet header) otherwise; the kernel state follows the same rule.
  const netlinkPath = conf.owner !== undefined && conf.group !== undefined && !conf.selinuxContext;
  return {
    name,
    mode: 'tap' as const,
    multiQueue: conf.multiQueue,
    vnetHdr: netlinkPath,
    ...(conf.owner !== undefined ? { owner: conf.owner } : {}),
    ...(conf.group !== undefined ? { group: conf.group } : {}),
    persist: true as const,
  };
}

function setExecLabel(label: string): void {
  writeFileSync(`/proc/thread-self/attr/exec`, label);
}

/** Create the device `name` in `contNs`, labelled when the config asks for it. */
function createTapDevice(conf: TapConf, name: string, contNs: NetNS, args: CmdArgs): void {
  if (!conf.selinuxContext) {
    tuntapCreate(contNs, tapOptions(conf, name));
    return;
  }
  try {
    setExecLabel(conf.selinuxContext);
  } catch (e) {
    throw fail(`failed set socket label: ${msg(e)}`);
  }
  try {
    const r = contNs.run(() =>
      spawnSync(process.execPath, process.argv.slice(1), {
        input: args.stdinData,
        env: { ...(args.env ?? process.env), CNI_COMMAND: 'ADD', [HELPER_ENV]: name },
        encoding: 'utf8',
      }),
    );
    if (r.error || r.status !== 0) {
      throw fail(
        `failed to create tap ${JSON.stringify(name)}: ${r.error?.message ?? `${r.stdout}${r.stderr}`.trim()}`,
      );
    }
  } finally {
    try {
      setExecLabel('');
    } catch {
      // nothing to reset when the write never took
    }
  }
}

/** The helper child: create the device in the namespace it was started in and exit. */
function helperCreate(args: CmdArgs, name: string): RawOutput {
  const conf = parseConf(args.stdinData, args.args);
  tuntapCreate(undefined, tapOptions(conf, name));
  return { rawStdout: '', exitCode: 0 };
}

function createTap(conf: TapConf, args: CmdArgs, contNs: NetNS, rb: Rollback) {
  const tmpName = randomVethName();
  try {
    createTapDevice(conf, tmpName, contNs, args);
  } catch (e) {
    throw CniError.is(e) ? e : fail(`failed to create tap: ${msg(e)}`);
  }
  const nl = Netlink.open(contNs);
  try {
    let link = nl.linkByName(tmpName);
    try {
      if (conf.mtu > 0) nl.linkSetMtu(link.index, conf.mtu);
      if (conf.mac) nl.linkSetMac(link.index, conf.mac);
      nl.linkSetName(link.index, args.ifName);
    } catch (e) {
      try {
        nl.linkDel(link.index);
      } catch {
        // already gone
      }
      throw fail(`failed to set up tap ${JSON.stringify(args.ifName)}: ${msg(e)}`);
    }
    rb.push(`delete ${args.ifName}`, () => {
      const n = Netlink.open(contNs);
      try {
        delLinkByName(n, args.ifName);
      } finally {
        n.close();
      }
    });
    if (conf.bridge) {
      const br = linkByNameOrUndefined(nl, conf.bridge);
      if (!br) throw fail(`failed to get bridge ${conf.bridge}: Link not found`);
      try {
        nl.linkSetMaster(link.index, br.index);
      } catch (e) {
        throw fail(`failed to set tap ${args.ifName} as a port of bridge ${conf.bridge}: ${msg(e)}`);
      }
    }
    try {
      nl.linkSetUp(link.index);
    } catch (e) {
      throw fail(`failed to set tap interface up: ${msg(e)}`);
    }
    link = nl.linkByName(args.ifName);
    return { name: args.ifName, mac: link.mac };
  } finally {
    nl.close();
  }
}

export async function cmdAdd(args: CmdArgs): Promise<Result | RawOutput> {
  const helper = (args.env ?? process.env)[HELPER_ENV];
  if (helper) return helperCreate(args, helper);
  const conf = parseConf(args.stdinData, args.args);
  const contNs = openNetNS(args.netns);
  const rb = new Rollback();
  try {
    const iface = createTap(conf, args, contNs, rb);
    const result: Result = {
      cniVersion: '1.1.0',
      interfaces: [{ name: iface.name, mac: iface.mac, sandbox: args.netns }],
    };
    if (conf.ipam?.type) {
      const r = await ipamAdd(conf, args.stdinData, rb);
      result.ips = r.ips ?? [];
      if (r.routes) result.routes = r.routes;
      try {
        sysctlSetIn(contNs, `net/ipv4/conf/${args.ifName}/arp_notify`, '1');
      } catch {
        // ignored, as the reference
      }
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

/** IPAM DEL, then delete the device; missing netns, missing device and a second DEL succeed. */
export async function cmdDel(args: CmdArgs): Promise<void> {
  await delIpamThenLink(parseNetConf(args.stdinData), args.stdinData, args.netns, args.ifName);
}

/** CHECK: IPAM, prevResult, the interface is a tap (with the configured MAC), IPs and routes. */
export async function cmdCheck(args: CmdArgs): Promise<void> {
  const conf = parseConf(args.stdinData, args.args);
  const contNs = openNetNS(args.netns);
  try {
    const { prev, iface } = await checkPrelude(conf, args.stdinData, args.ifName, args.netns);
    const nl = Netlink.open(contNs);
    try {
      const link = checkIfaceCommon(nl, iface);
      if (link.kind !== 'tun' || (link.info?.tunType !== undefined && link.info.tunType !== 'tap')) {
        throw fail(`Error: Container interface ${link.name} not of type tap`);
      }
      if (conf.mtu > 0 && link.mtu !== conf.mtu) {
        throw fail(
          `Error: Tap interface ${link.name} MTU ${link.mtu} doesn't match configured MTU ${conf.mtu}`,
        );
      }
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
  type: 'tap',
  versions: versionsFrom('0.1.0'),
  about: 'CNI tap plugin',
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  status: cmdStatus,
  gc: cmdGC,
};
