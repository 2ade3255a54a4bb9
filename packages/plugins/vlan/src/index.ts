// The CNI vlan plugin: an 802.1Q link on a host ("master") interface, placed in the container
// under CNI_IFNAME, with addresses and routes from the (required) IPAM plugin (cni-reference §3.4).
import {
  checkAddrsRoutes,
  checkContainerLink,
  checkPrelude,
  createChildLink,
  delIpamThenLink,
  gcViaIpam,
  ipamAdd,
  openNetNS,
  resolveMaster,
  singleLinkResult,
  statusViaIpam,
  withAddRollback,
} from '@cni/ip';
import {
  type CmdArgs,
  CniError,
  ErrCode,
  type PluginDef,
  parseNetConf,
  type Result,
  versionsFrom,
} from '@cni/skel';
import { parseConf } from './config.js';

export { parseConf, type VlanConf } from './config.js';

export async function cmdAdd(args: CmdArgs): Promise<Result> {
  const conf = parseConf(args.stdinData);
  return withAddRollback(args.netns, async (contNs, rb) => {
    const master = resolveMaster(conf, undefined, contNs);
    const iface = createChildLink(
      { kind: 'vlan', parent: master.index, vlanId: conf.vlanId, ...(conf.mtu > 0 ? { mtu: conf.mtu } : {}) },
      args.ifName,
      contNs,
      conf.linkInContainer,
      rb,
    );
    const r = await ipamAdd(conf, args.stdinData, rb);
    const link = { name: iface.name, mac: iface.mac, sandbox: args.netns };
    return singleLinkResult(contNs, args.ifName, link, r, conf.dns ? { dns: conf.dns } : {});
  });
}

/**
 * DEL reads only the JSON: no master lookup, so it works when the master is gone (the
 * reference looks up the master's MTU first and fails). IPAM DEL, then delete the link;
 * missing netns, missing link and a second DEL succeed.
 */
export async function cmdDel(args: CmdArgs): Promise<void> {
  await delIpamThenLink(parseNetConf(args.stdinData), args.stdinData, args.netns, args.ifName);
}

export async function cmdCheck(args: CmdArgs): Promise<void> {
  const conf = parseConf(args.stdinData);
  const contNs = openNetNS(args.netns);
  try {
    const { prev, iface } = await checkPrelude(conf, args.stdinData, args.ifName, args.netns);
    resolveMaster(conf, undefined, contNs);
    checkContainerLink(contNs, iface, 'vlan', (nl, link) => {
      const id = link.info?.vlanId;
      if (id !== conf.vlanId) {
        throw new CniError(
          ErrCode.Internal,
          `Error: Container interface ${link.name} VLAN ID ${id ?? 'unknown'} does not match expected value: ${conf.vlanId}`,
        );
      }
      if (conf.mtu !== 0 && link.mtu !== conf.mtu) {
        throw new CniError(
          ErrCode.Internal,
          `Error: Container interface ${link.name} MTU ${link.mtu} does not match expected value: ${conf.mtu}`,
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
  type: 'vlan',
  versions: versionsFrom('0.1.0'),
  about: 'CNI vlan plugin',
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  status: cmdStatus,
  gc: cmdGC,
};
