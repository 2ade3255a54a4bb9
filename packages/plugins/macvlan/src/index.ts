// The CNI macvlan plugin: a macvlan link on a host ("master") interface, placed in the
// container under CNI_IFNAME, with optional IPAM (cni-reference §3.3).
import { createChildLink, delIpamThenLink } from '@cni/ip';
import { Netlink } from '@cni/netlink';
import type { NetNS } from '@cni/ns';
import {
  type CmdArgs,
  CniError,
  ErrCode,
  type PluginDef,
  parseNetConf,
  type Result,
  versionsFrom,
} from '@cni/skel';
import {
  checkAddrsRoutes,
  checkContainerLink,
  checkPrelude,
  gcViaIpam,
  ipamAdd,
  msg,
  openNetNS,
  type Rollback,
  singleLinkResult,
  statusViaIpam,
  withAddRollback,
} from '@cni/ip';
import { type MacvlanConf, parseConf, resolveMaster } from './config.js';

export {
  defaultRouteInterface,
  type MacvlanConf,
  type MacvlanMode,
  parseConf,
  resolveMaster,
} from './config.js';

/** Create the macvlan under a temporary name in the container and rename it to `ifName`. */
function createMacvlan(conf: MacvlanConf, master: number, ifName: string, contNs: NetNS, rb: Rollback) {
  return createChildLink(
    {
      kind: 'macvlan',
      parent: master,
      mode: conf.mode,
      ...(conf.mtu > 0 ? { mtu: conf.mtu } : {}),
      ...(conf.mac ? { mac: conf.mac } : {}),
      ...(conf.bcQueueLen !== undefined ? { bcQueueLen: conf.bcQueueLen } : {}),
    },
    ifName,
    contNs,
    conf.linkInContainer,
    rb,
  );
}

export async function cmdAdd(args: CmdArgs): Promise<Result> {
  const conf = parseConf(args.stdinData, args.args);
  return withAddRollback(args.netns, async (contNs, rb) => {
    const master = resolveMaster(conf, undefined, contNs);
    const iface = createMacvlan(conf, master.index, args.ifName, contNs, rb);
    const r = conf.ipam?.type ? await ipamAdd(conf, args.stdinData, rb) : undefined;
    if (!r) {
      // without IPAM the link is only set up
      const nl = Netlink.open(contNs);
      try {
        nl.linkSetUp(iface.index);
      } catch (e) {
        throw new CniError(ErrCode.Internal, `failed to set ${JSON.stringify(args.ifName)} UP: ${msg(e)}`);
      } finally {
        nl.close();
      }
    }
    const link = { name: iface.name, mac: iface.mac, sandbox: args.netns };
    return singleLinkResult(contNs, args.ifName, link, r, {
      notify: true,
      ...(conf.dns ? { dns: conf.dns } : {}),
    });
  });
}

/**
 * DEL reads only the JSON (no master lookup: the master may be gone), releases IPAM, then
 * deletes the link. Missing netns, missing link and a second DEL succeed.
 */
export async function cmdDel(args: CmdArgs): Promise<void> {
  await delIpamThenLink(parseNetConf(args.stdinData), args.stdinData, args.netns, args.ifName);
}

export async function cmdCheck(args: CmdArgs): Promise<void> {
  const conf = parseConf(args.stdinData, args.args);
  const contNs = openNetNS(args.netns);
  try {
    resolveMaster(conf, undefined, contNs);
    const { prev, iface } = await checkPrelude(conf, args.stdinData, args.ifName, args.netns);
    checkContainerLink(contNs, iface, 'macvlan', (nl, link) => {
      const have = link.info?.macvlanMode;
      if (have !== conf.mode) {
        throw new CniError(
          ErrCode.Internal,
          `Container macvlan mode ${have ?? 'unknown'} does not match expected value: ${conf.mode}`,
        );
      }
      checkAddrsRoutes(nl, args.ifName, prev);
    });
  } finally {
    contNs.close();
  }
}

/** STATUS goes to IPAM; nothing of this plugin outlives its container's namespace: IPAM gets the GC. */
export const cmdStatus = statusViaIpam;
export const cmdGC = gcViaIpam;

export const plugin: PluginDef = {
  type: 'macvlan',
  versions: versionsFrom('0.1.0'),
  about: 'CNI macvlan plugin',
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  status: cmdStatus,
  gc: cmdGC,
};
