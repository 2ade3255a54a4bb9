// The CNI dummy plugin: a dummy link named CNI_IFNAME created inside the container namespace,
// with addresses and routes from the (required) IPAM plugin (cni-reference §3.8).
import {
  checkContainerLink,
  checkPrelude,
  delIpamThenLink,
  delLinkByName,
  gcViaIpam,
  ipamAdd,
  msg,
  openNetNS,
  type Rollback,
  singleLinkResult,
  statusViaIpam,
  validateExpectedInterfaceIPs,
  withAddRollback,
} from '@cni/ip';
import { Netlink } from '@cni/netlink';
import type { NetNS } from '@cni/ns';
import {
  type CmdArgs,
  CniError,
  ErrCode,
  type NetConf,
  type PluginDef,
  parseNetConf,
  type Result,
  versionsFrom,
} from '@cni/skel';

/** The reference's only rule: an IPAM section with a type. */
export function parseConf(stdin: Buffer | string): NetConf {
  const conf = parseNetConf(stdin);
  if (!conf.ipam?.type) {
    throw new CniError(ErrCode.InvalidNetworkConfig, 'dummy interface requires an IPAM configuration');
  }
  return conf;
}

/** Create the dummy link `ifName` directly in the container (never in the host, v1.9.0 fix). */
function createDummy(ifName: string, contNs: NetNS, rb: Rollback) {
  const nl = Netlink.open(contNs);
  try {
    let link: ReturnType<Netlink['linkAdd']>;
    try {
      link = nl.linkAdd({ kind: 'dummy', name: ifName });
    } catch (e) {
      throw new CniError(ErrCode.Internal, `failed to create dummy: ${msg(e)}`);
    }
    rb.push(`delete ${ifName}`, () => {
      const n = Netlink.open(contNs);
      try {
        delLinkByName(n, ifName);
      } finally {
        n.close();
      }
    });
    return { name: ifName, mac: link.mac };
  } finally {
    nl.close();
  }
}

export async function cmdAdd(args: CmdArgs): Promise<Result> {
  const conf = parseConf(args.stdinData);
  return withAddRollback(args.netns, async (contNs, rb) => {
    const iface = createDummy(args.ifName, contNs, rb);
    const r = await ipamAdd(conf, args.stdinData, rb);
    const link = { name: iface.name, mac: iface.mac, sandbox: args.netns };
    // the result's DNS is IPAM's only, as the reference
    return singleLinkResult(contNs, args.ifName, link, r, r.dns ? { dns: r.dns } : {});
  });
}

/** IPAM DEL, then delete the link; missing netns, missing link and a second DEL succeed. */
export async function cmdDel(args: CmdArgs): Promise<void> {
  await delIpamThenLink(parseNetConf(args.stdinData), args.stdinData, args.netns, args.ifName);
}

export async function cmdCheck(args: CmdArgs): Promise<void> {
  const conf = parseConf(args.stdinData);
  const contNs = openNetNS(args.netns);
  try {
    const { prev, iface } = await checkPrelude(conf, args.stdinData, args.ifName, args.netns);
    checkContainerLink(contNs, iface, 'dummy', (nl, link) => {
      if (!link.up) throw new CniError(ErrCode.Internal, `Interface ${link.name} is down`);
      // The reference checks the addresses only (no routes) for dummy.
      validateExpectedInterfaceIPs(nl, args.ifName, prev.ips ?? []);
    });
  } finally {
    contNs.close();
  }
}

/** STATUS goes to IPAM; nothing of this plugin outlives its container's namespace: IPAM gets the GC. */
export const cmdStatus = statusViaIpam;
export const cmdGC = gcViaIpam;

export const plugin: PluginDef = {
  type: 'dummy',
  versions: versionsFrom('0.1.0'),
  about: 'CNI dummy plugin',
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  status: cmdStatus,
  gc: cmdGC,
};
