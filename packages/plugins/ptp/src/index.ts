// The CNI ptp plugin: a veth pair per container, routed (not bridged) through the host
// (cni-reference §3.5). The container reaches everything, its own subnet included, through a
// gateway that lives as a /32 (/128) on the host side of every ptp veth.
import {
  configureIface,
  delLinkByNameAddr,
  enableForward,
  formatCIDR,
  formatIP,
  forwardGC,
  forwardStatus,
  getVethPeerIfindex,
  internal,
  networkOf,
  openNetNS,
  openNetNSForDel,
  parseCIDR,
  Rollback,
  setupVeth,
  validAttachments,
} from '@cni/ip';
import { gcIPMasq, setupIPMasq, teardownIPMasq } from '@cni/iptables';
import { isExists, isNotFound, Netlink, RT_SCOPE_HOST, RT_SCOPE_LINK } from '@cni/netlink';
import { NetNS } from '@cni/ns';
import {
  type CmdArgs,
  CniError,
  delegateAdd,
  delegateCheck,
  delegateDel,
  ErrCode,
  isEmptyDNS,
  type PluginDef,
  parseNetConf,
  type Result,
  versionsFrom,
} from '@cni/skel';
import { validateExpectedInterfaceIPs, validateExpectedRoute } from '@cni/ip';
import { type PtpConf, parseConf } from './config.js';

export { validAttachments } from '@cni/ip';
export { type PtpConf, parseConf } from './config.js';

interface Addressing {
  /** container address with prefix */
  address: string;
  family: 4 | 6;
  ip: string;
  gateway: string;
  /** the subnet, e.g. 10.1.2.0/24 */
  subnet: string;
}

function addressing(result: Result): Addressing[] {
  return (result.ips ?? []).map((ipc) => {
    const n = parseCIDR(ipc.address);
    if (!n) throw new CniError(ErrCode.Internal, `IPAM returned an invalid address ${ipc.address}`);
    if (!ipc.gateway)
      throw new CniError(ErrCode.Internal, `IPAM returned no gateway for ${ipc.address}, which ptp needs`);
    return {
      address: ipc.address,
      family: n.ip.family,
      ip: formatIP(n.ip),
      gateway: ipc.gateway,
      subnet: formatCIDR(networkOf(n)),
    };
  });
}

/**
 * Inside the container: configure the interface, then replace the kernel's subnet route with
 * `gw/32 dev if scope link src ip` and `subnet via gw src ip`, so that every packet, to the
 * own subnet too, goes through the gateway.
 */
function setupContainerRoutes(nl: Netlink, ifName: string, addrs: Addressing[]): void {
  const link = nl.linkByName(ifName);
  for (const a of addrs) {
    const bits = a.family === 4 ? 32 : 128;
    try {
      nl.routeDel({ family: a.family, dst: a.subnet, oif: link.index });
    } catch (e) {
      throw internal(`failed to delete route ${a.subnet} dev ${ifName}`, e);
    }
    try {
      nl.routeAdd({
        family: a.family,
        dst: `${a.gateway}/${bits}`,
        oif: link.index,
        scope: RT_SCOPE_LINK,
        src: a.ip,
      });
    } catch (e) {
      throw internal(`failed to add route ${a.gateway}/${bits} dev ${ifName}`, e);
    }
    try {
      nl.routeAdd({ family: a.family, dst: a.subnet, gw: a.gateway, oif: link.index, src: a.ip });
    } catch (e) {
      throw internal(`failed to add route ${a.subnet} via ${a.gateway} dev ${ifName}`, e);
    }
  }
}

/** On the host: the gateway as /32 (/128) on the host veth and a host route to the container IP. */
function setupHostVeth(nl: Netlink, name: string, addrs: Addressing[]): void {
  const veth = nl.linkByName(name);
  for (const a of addrs) {
    const bits = a.family === 4 ? 32 : 128;
    try {
      nl.addrAdd(veth.index, `${a.gateway}/${bits}`);
    } catch (e) {
      throw internal(`failed to add IP addr ${a.gateway}/${bits} to veth`, e);
    }
    try {
      nl.routeAdd({ family: a.family, dst: `${a.ip}/${bits}`, oif: veth.index, scope: RT_SCOPE_HOST });
    } catch (e) {
      if (!isExists(e)) throw internal('failed to add route on host', e);
    }
  }
}

export async function cmdAdd(args: CmdArgs): Promise<Result> {
  const conf = parseConf(args.stdinData);
  const type = conf.ipam?.type ?? '';
  const contNs = openNetNS(args.netns, ErrCode.InvalidNetNS);
  const hostNs = NetNS.current();
  const rb = new Rollback();
  try {
    const r = await delegateAdd(type, args.stdinData);
    rb.push(`IPAM DEL (${type})`, () => delegateDel(type, args.stdinData));
    if (!r.ips || r.ips.length === 0)
      throw new CniError(ErrCode.Internal, 'IPAM plugin returned missing IP config');
    const addrs = addressing(r);
    try {
      enableForward(r.ips);
    } catch (e) {
      throw internal('Could not enable IP forwarding', e);
    }
    let pair: ReturnType<typeof setupVeth>;
    try {
      pair = setupVeth({
        containerNs: contNs,
        hostNs,
        contVethName: args.ifName,
        ...(conf.mtu > 0 ? { mtu: conf.mtu } : {}),
      });
    } catch (e) {
      throw internal('', e);
    }
    rb.push(`delete ${args.ifName}`, () => {
      const c = Netlink.open(contNs);
      try {
        c.linkDel(args.ifName);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      } finally {
        c.close();
      }
    });
    const result: Result = {
      cniVersion: '1.1.0',
      interfaces: [
        { name: pair.hostVeth.name, mac: pair.hostVeth.mac },
        { name: args.ifName, mac: pair.contVeth.mac, sandbox: args.netns },
      ],
      ips: r.ips.map((ip) => ({ ...ip, interface: 1 })),
      routes: r.routes ?? [],
    };
    if (r.dns && !isEmptyDNS(r.dns)) result.dns = r.dns;
    try {
      configureIface(contNs, args.ifName, result);
    } catch (e) {
      throw internal('', e);
    }
    const c = Netlink.open(contNs);
    try {
      setupContainerRoutes(c, args.ifName, addrs);
    } finally {
      c.close();
    }
    const nl = Netlink.open();
    try {
      setupHostVeth(nl, pair.hostVeth.name, addrs);
    } finally {
      nl.close();
    }
    if (conf.ipMasq) {
      const masq = {
        ipns: addrs.map((a) => a.address),
        network: conf.name,
        ifname: args.ifName,
        containerID: args.containerID,
      };
      try {
        setupIPMasq({ ...masq, backend: conf.ipMasqBackend ?? null });
      } catch (e) {
        throw internal('failed to set up IP masquerading', e);
      }
      rb.push('remove IP masquerading', () => teardownIPMasq(masq));
    }
    if (!isEmptyDNS(conf.dns)) result.dns = conf.dns as NonNullable<PtpConf['dns']>;
    return result;
  } catch (e) {
    await rb.run();
    throw e;
  } finally {
    hostNs.close();
    contNs.close();
  }
}

/**
 * DEL: IPAM DEL, then the container interface (its peer goes with it); masquerading is removed
 * for the addresses it had. A missing netns or link, and a second DEL, succeed.
 */
export async function cmdDel(args: CmdArgs): Promise<void> {
  const conf = parseConf(args.stdinData, true);
  if (conf.ipam?.type) await delegateDel(conf.ipam.type, args.stdinData);
  if (args.netns === '') return;
  const contNs = openNetNSForDel(args.netns, ErrCode.InvalidNetNS);
  if (!contNs) return;
  let addrs: string[];
  try {
    const c = Netlink.open(contNs);
    try {
      addrs = delLinkByNameAddr(c, args.ifName);
    } catch (e) {
      throw internal('', e);
    } finally {
      c.close();
    }
  } finally {
    contNs.close();
  }
  if (addrs.length > 0 && conf.ipMasq) {
    try {
      teardownIPMasq({ ipns: addrs, network: conf.name, ifname: args.ifName, containerID: args.containerID });
    } catch (e) {
      throw internal('failed to remove IP masquerading', e);
    }
  }
}

/** CHECK: IPAM CHECK, the container veth as prevResult says, its addresses and routes. */
export async function cmdCheck(args: CmdArgs): Promise<void> {
  const conf = parseConf(args.stdinData);
  if (conf.ipam?.type) await delegateCheck(conf.ipam.type, args.stdinData);
  if (!conf.rawPrevResult || !conf.prevResult)
    throw new CniError(ErrCode.Internal, 'Required prevResult missing');
  const prev = conf.prevResult;
  const ifs = prev.interfaces ?? [];
  const contMap = ifs.find((i) => i.name === args.ifName && i.sandbox === args.netns);
  if (!contMap) {
    const other = ifs.find((i) => i.name === args.ifName);
    throw new CniError(
      ErrCode.Internal,
      `Sandbox in prevResult ${other?.sandbox ?? ''} doesn't match configured netns: ${args.netns}`,
    );
  }
  const contNs = openNetNS(args.netns, ErrCode.InvalidNetNS);
  try {
    const c = Netlink.open(contNs);
    try {
      let link: ReturnType<typeof getVethPeerIfindex>['link'];
      try {
        link = getVethPeerIfindex(c, contMap.name).link;
      } catch (e) {
        if (isNotFound(e))
          throw new CniError(
            ErrCode.Internal,
            `Container Interface name in prevResult: ${contMap.name} not found`,
          );
        throw new CniError(
          ErrCode.Internal,
          `Error: Container interface ${contMap.name} not of type veth/p2p`,
        );
      }
      if (contMap.mac && contMap.mac.toLowerCase() !== link.mac)
        throw new CniError(
          ErrCode.Internal,
          `Interface ${contMap.name} Mac ${contMap.mac} doesn't match container Mac: ${link.mac}`,
        );
      try {
        validateExpectedInterfaceIPs(c, args.ifName, prev.ips ?? []);
        validateExpectedRoute(c, prev.routes ?? []);
      } catch (e) {
        throw internal('', e);
      }
    } finally {
      c.close();
    }
  } finally {
    contNs.close();
  }
}

export async function cmdStatus(args: CmdArgs): Promise<void> {
  await forwardStatus(parseNetConf(args.stdinData), args.stdinData);
}

/** GC: masquerade rules of attachments no longer valid (with ipMasq), then IPAM GC. */
export async function cmdGC(args: CmdArgs): Promise<void> {
  const conf = parseConf(args.stdinData, true);
  if (conf.ipMasq) {
    try {
      gcIPMasq(conf.name, validAttachments(conf.raw));
    } catch (e) {
      throw internal('failed to clean up IP masquerading', e);
    }
  }
  await forwardGC(conf, args.stdinData);
}

export const plugin: PluginDef = {
  type: 'ptp',
  versions: versionsFrom('0.1.0'),
  about: 'CNI ptp plugin v1.0.0',
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  status: cmdStatus,
  gc: cmdGC,
};
