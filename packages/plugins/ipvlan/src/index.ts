// The CNI ipvlan plugin: an ipvlan link on a host ("master") interface, placed in the
// container under CNI_IFNAME, with addresses from IPAM or from the prevResult (cni-reference §3.2).
import {
  checkAddrsRoutes,
  checkContainerLink,
  checkPrelude,
  createChildLink,
  delIpamThenLink,
  gcViaIpam,
  ipamAdd,
  linkByNameOrUndefined,
  openNetNS,
  resolveMaster,
  singleLinkResult,
  statusViaIpam,
  withAddRollback,
} from '@cni/ip';
import { Netlink } from '@cni/netlink';
import {
  type CmdArgs,
  CniError,
  ErrCode,
  type PluginDef,
  parseNetConf,
  type Result,
  versionsFrom,
} from '@cni/skel';
import { addressSource, parseConf } from './config.js';

export { addressSource, type IpvlanConf, type IpvlanMode, MODES, parseConf } from './config.js';

export async function cmdAdd(args: CmdArgs): Promise<Result> {
  const conf = parseConf(args.stdinData);
  const source = addressSource(conf);
  return withAddRollback(args.netns, async (contNs, rb) => {
    const master = resolveMaster(conf, undefined, contNs);
    const iface = createChildLink(
      { kind: 'ipvlan', parent: master.index, mode: conf.mode, ...(conf.mtu > 0 ? { mtu: conf.mtu } : {}) },
      args.ifName,
      contNs,
      conf.linkInContainer,
      rb,
    );
    let from: Result;
    if (source === 'ipam') {
      from = await ipamAdd(conf, args.stdinData, rb);
    } else {
      from = structuredClone(conf.prevResult as Result);
      for (const ip of from.ips ?? []) ip.interface = 0;
    }
    const link = { name: iface.name, mac: iface.mac, sandbox: args.netns };
    return singleLinkResult(contNs, args.ifName, link, from, {
      notify: true,
      ...(conf.dns ? { dns: conf.dns } : {}),
    });
  });
}

/**
 * DEL reads only the JSON (no master lookup: the master or the default route may be gone),
 * releases IPAM, then deletes the link. Missing netns, missing link and a second DEL succeed.
 */
export async function cmdDel(args: CmdArgs): Promise<void> {
  await delIpamThenLink(parseNetConf(args.stdinData), args.stdinData, args.netns, args.ifName);
}

export async function cmdCheck(args: CmdArgs): Promise<void> {
  const conf = parseConf(args.stdinData);
  const contNs = openNetNS(args.netns);
  try {
    const { prev, iface } = await checkPrelude(conf, args.stdinData, args.ifName, args.netns);
    // CHECK's prevResult is ipvlan's own result, so an unconfigured master cannot be recovered
    // from it; a configured one must exist.
    if (conf.master !== '') {
      const mnl = Netlink.open(conf.linkInContainer ? contNs : undefined);
      try {
        if (!linkByNameOrUndefined(mnl, conf.master)) {
          throw new CniError(
            ErrCode.Internal,
            `failed to lookup master ${JSON.stringify(conf.master)}: Link not found`,
          );
        }
      } finally {
        mnl.close();
      }
    }
    checkContainerLink(contNs, iface, 'ipvlan', (nl, link) => {
      const have = link.info?.ipvlanMode;
      if (have !== conf.mode) {
        throw new CniError(
          ErrCode.Internal,
          `Container IPVlan mode ${have ?? 'unknown'} does not match expected value: ${conf.mode}`,
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
  type: 'ipvlan',
  versions: versionsFrom('0.1.0'),
  about: 'CNI ipvlan plugin',
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  status: cmdStatus,
  gc: cmdGC,
};
