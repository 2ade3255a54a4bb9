// The CNI bridge plugin: a Linux bridge on the host and one veth pair per container, with an
// optional gateway address on the bridge, masquerading, VLANs, port isolation and a MAC spoof
// check (cni-reference §3.1). ADD is a list of steps, each with its undo beside it.
import {
  configureIface,
  delLinkByNameAddr,
  enableIP4Forward,
  enableIP6Forward,
  formatCIDR,
  formatIP,
  forwardGC,
  forwardStatus,
  getVethPeerIfindex,
  type IPNet,
  internal,
  linkByNameOrUndefined,
  msg,
  nextIP,
  networkOf,
  openNetNS,
  openNetNSForDel,
  overlaps,
  parseCIDR,
  parseIP,
  Rollback,
  setupVeth,
  sleepSync,
  validateExpectedInterfaceIPs,
  validAttachments,
  validateExpectedRoute,
} from '@cni/ip';
import { type GCAttachment, gcIPMasq, Nft, setupIPMasq, teardownIPMasq } from '@cni/iptables';
import { isExists, isNotFound, type Link, Netlink } from '@cni/netlink';
import { NetNS, sysctlSetIn } from '@cni/ns';
import {
  type CmdArgs,
  CniError,
  delegateAdd,
  delegateCheck,
  delegateDel,
  ErrCode,
  type Interface,
  isEmptyDNS,
  type PluginDef,
  parseNetConf,
  type Result,
  versionsFrom,
} from '@cni/skel';
import { type BridgeConf, needsVlanFiltering, parseConf } from './config.js';
import { gcSpoofCheck, setupSpoofCheck, spoofUniqueID, teardownSpoofCheck } from './spoofcheck.js';

export { validAttachments } from '@cni/ip';
export { type BridgeConf, parseConf, parseVlanTrunk } from './config.js';
export {
  gcSpoofCheck,
  setupSpoofCheck,
  spoofComment,
  spoofIfaceChain,
  spoofMacChain,
  spoofUniqueID,
  teardownSpoofCheck,
} from './spoofcheck.js';

/** Delays between reads of the host veth's oper state while waiting for the port (ms). */
const PORT_WAIT_DELAYS = [0, 50, 500, 1000, 1000];

/** A sysctl whose failure the reference ignores (e.g. IPv6 disabled on this host). */
function trySysctl(ns: NetNS | undefined, key: string, value: string): void {
  try {
    sysctlSetIn(ns, key, value);
  } catch {
    // ignored, as in the reference
  }
}

/** Step 1: the bridge exists, is a bridge, is up, does not take router advertisements. */
export function ensureBridge(nl: Netlink, conf: BridgeConf): Link {
  const vlanFiltering = needsVlanFiltering(conf);
  // Looked up first: after the first container the bridge exists, and one request answers
  // (the reference adds, gets EEXIST, then looks up). Created when missing; a concurrent ADD
  // that creates it first is an EEXIST, then the lookup again.
  let br: Link | undefined;
  try {
    br = nl.linkByName(conf.bridge);
  } catch (e) {
    if (!isNotFound(e)) throw internal(`could not lookup ${JSON.stringify(conf.bridge)}`, e);
  }
  if (br === undefined) {
    try {
      nl.linkAdd({
        kind: 'bridge',
        name: conf.bridge,
        ...(conf.mtu > 0 ? { mtu: conf.mtu } : {}),
        ...(vlanFiltering ? { vlanFiltering: true } : {}),
      });
    } catch (e) {
      if (!isExists(e)) throw internal(`could not add ${JSON.stringify(conf.bridge)}`, e);
    }
    try {
      br = nl.linkByName(conf.bridge);
    } catch (e) {
      throw internal(`could not lookup ${JSON.stringify(conf.bridge)}`, e);
    }
  }
  if (br.kind !== 'bridge')
    throw new CniError(ErrCode.Internal, `${JSON.stringify(conf.bridge)} already exists but is not a bridge`);
  let changed = false;
  // An existing bridge without VLAN filtering gets it turned on: "vlan"/"vlanTrunk" need it.
  if (vlanFiltering && br.info?.bridgeVlanFiltering !== true) {
    try {
      nl.linkSetBridgeVlanFiltering(br.index, true);
    } catch (e) {
      throw internal(`could not enable VLAN filtering on ${JSON.stringify(conf.bridge)}`, e);
    }
    changed = true;
  }
  if (conf.promiscMode && !br.promisc) {
    nl.linkSetPromisc(br.index, true);
    changed = true;
  }
  trySysctl(undefined, `net/ipv6/conf/${conf.bridge}/accept_ra`, '0');
  if (!br.up) {
    try {
      nl.linkSetUp(br.index);
    } catch (e) {
      throw internal(`could not set ${JSON.stringify(conf.bridge)} up`, e);
    }
    changed = true;
  }
  // Read again only what changed (the result carries the bridge's MAC and state).
  return changed ? nl.linkByIndex(br.index) : br;
}

/**
 * Attach a host-side port to the bridge: master, hairpin, isolation, and its VLAN entries
 * (the default VLAN removed first unless preserveDefaultVlan).
 */
function attachPort(nl: Netlink, port: Link, br: Link, conf: BridgeConf, vlan: number, trunk: number[]) {
  try {
    nl.linkSetMaster(port.index, br.index);
  } catch (e) {
    throw internal(`failed to connect ${JSON.stringify(port.name)} to bridge ${br.name}`, e);
  }
  try {
    nl.bridgePortSet(port.index, {
      hairpin: conf.hairpinMode,
      ...(conf.portIsolation ? { isolated: true } : {}),
    });
  } catch (e) {
    throw internal(`failed to setup hairpin mode and isolation for ${port.name}`, e);
  }
  if ((vlan !== 0 || trunk.length > 0) && !conf.preserveDefaultVlan) {
    for (const v of nl.bridgeVlanList(port.index)) {
      try {
        nl.bridgeVlanDel(port.index, v.vid);
      } catch (e) {
        throw internal(`failed to remove default vlan ${v.vid} on ${port.name}`, e);
      }
    }
  }
  // A trunk without a port VLAN keeps VID 1 untagged as the port's PVID (the reference's
  // backward compatibility).
  const pvid = vlan !== 0 ? vlan : trunk.length > 0 ? 1 : 0;
  if (pvid !== 0) {
    try {
      nl.bridgeVlanAdd(port.index, pvid, { pvid: true, untagged: true });
    } catch (e) {
      throw internal(`failed to setup vlan tag ${pvid} on ${port.name}`, e);
    }
  }
  for (const v of trunk) {
    if (v === pvid) continue;
    try {
      nl.bridgeVlanAdd(port.index, v);
    } catch (e) {
      throw internal(`failed to setup vlan trunk tag ${v} on ${port.name}`, e);
    }
  }
}

interface GatewayNet {
  family: 4 | 6;
  /** gateway/prefix as it goes on the bridge */
  net: IPNet;
}

/**
 * Step 5 helper: fill missing gateways (network + 1) when the bridge is a gateway, collect the
 * gateway addresses per family, and add a default route per family for isDefaultGateway
 * unless IPAM returned one with a gateway.
 */
export function calcGateways(result: Result, conf: BridgeConf): GatewayNet[] {
  const gws: GatewayNet[] = [];
  const defaultFound = { 4: false, 6: false };
  for (const r of result.routes ?? []) {
    const d = parseCIDR(r.dst);
    if (d && d.prefix === 0 && r.gw) defaultFound[d.ip.family] = true;
  }
  const defaultAdded = { 4: false, 6: false };
  for (const ipc of result.ips ?? []) {
    const addr = parseCIDR(ipc.address);
    if (!addr) throw new CniError(ErrCode.Internal, `IPAM returned an invalid address ${ipc.address}`);
    const family = addr.ip.family;
    if (ipc.gateway === undefined && conf.isGateway) ipc.gateway = formatIP(nextIP(networkOf(addr).ip));
    if (ipc.gateway === undefined) continue;
    const gw = parseIP(ipc.gateway);
    if (!gw) throw new CniError(ErrCode.Internal, `IPAM returned an invalid gateway ${ipc.gateway}`);
    gws.push({ family, net: { ip: gw, prefix: addr.prefix } });
    if (conf.isDefaultGateway && !defaultFound[family] && !defaultAdded[family]) {
      result.routes = result.routes ?? [];
      result.routes.push({ dst: family === 4 ? '0.0.0.0/0' : '::/0', gw: ipc.gateway });
      defaultAdded[family] = true;
    }
  }
  return gws;
}

/**
 * Step 6 helper: `gw/prefix` on `link`. The same address → nothing to do; an IPv4 address, or
 * an overlapping IPv6 one → error unless forceAddress (then it is replaced). Then the link's
 * MAC is set to itself so that it stops following the lowest port MAC.
 */
export function ensureAddr(nl: Netlink, link: Link, gw: GatewayNet, forceAddress: boolean): void {
  const want = formatCIDR(gw.net);
  for (const a of nl.addrList({ index: link.index, family: gw.family })) {
    const have = parseCIDR(a.address);
    if (!have) continue;
    if (formatCIDR(have) === want) return;
    if (gw.family === 4 || overlaps(have, gw.net)) {
      if (!forceAddress)
        throw new CniError(
          ErrCode.Internal,
          `${JSON.stringify(link.name)} already has an IP address different from ${want}`,
        );
      try {
        nl.addrDel(link.index, a.address);
      } catch (e) {
        throw internal(`could not remove IP address from ${JSON.stringify(link.name)}`, e);
      }
    }
  }
  try {
    nl.addrAdd(link.index, want);
  } catch (e) {
    if (!isExists(e)) throw internal(`could not add IP address to ${JSON.stringify(link.name)}`, e);
  }
  const fresh = nl.linkByIndex(link.index);
  try {
    nl.linkSetMac(fresh.index, fresh.mac);
  } catch (e) {
    throw internal(`could not set ${link.name}'s mac`, e);
  }
}

/**
 * With `vlan`, the gateway address lives on `<bridge>.<vlan>`: one end of a veth pair in the
 * host namespace whose other end is a bridge port in that VLAN. Created once, then reused.
 */
function ensureVlanInterface(nl: Netlink, br: Link, conf: BridgeConf, hostNs: NetNS): Link {
  const name = `${br.name}.${conf.vlan}`;
  const existing = linkByNameOrUndefined(nl, name);
  if (existing) return existing;
  const pair = setupVeth({
    containerNs: hostNs,
    hostNs,
    contVethName: name,
    ...(br.mtu ? { mtu: br.mtu } : {}),
    contUp: true,
  });
  const port = nl.linkByName(pair.hostVeth.name);
  attachPort(nl, port, br, { ...conf, hairpinMode: false, portIsolation: false }, conf.vlan, []);
  return nl.linkByName(name);
}

/** Step 9: the host veth must reach oper state `up` (the bridge port is forwarding); returns it. */
function waitPortUp(nl: Netlink, index: number): Link {
  let state = 'unknown';
  for (const d of PORT_WAIT_DELAYS) {
    if (d > 0) sleepSync(d);
    const l = nl.linkByIndex(index);
    state = l.operState;
    if (state === 'up') return l;
  }
  throw new CniError(ErrCode.Internal, `bridge port in error state: ${state}`);
}

export async function cmdAdd(args: CmdArgs): Promise<Result> {
  const conf = parseConf(args.stdinData, args.args);
  const isLayer3 = Boolean(conf.ipam?.type);
  const contNs = openNetNS(args.netns, ErrCode.InvalidNetNS);
  const hostNs = NetNS.current();
  const nl = Netlink.open();
  const rb = new Rollback();
  try {
    // 1. the bridge
    const br = ensureBridge(nl, conf);
    // 2. the veth pair, peer created directly in the host namespace
    let pair: ReturnType<typeof setupVeth>;
    try {
      pair = setupVeth({
        containerNs: contNs,
        hostNs,
        hostNetlink: nl,
        contVethName: args.ifName,
        ...(conf.mtu > 0 ? { mtu: conf.mtu } : {}),
        ...(conf.mac ? { contVethMac: conf.mac } : {}),
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
    trySysctl(undefined, `net/ipv6/conf/${pair.hostVeth.name}/accept_ra`, '0');
    // 3. the port: master, hairpin, isolation, VLANs
    const hostLink = pair.hostLink; // as read after it was set up (the sysctl above changes no link attribute)
    attachPort(nl, hostLink, br, conf, conf.vlan, conf.vlanTrunk);
    const brInterface: Interface = { name: br.name, mac: br.mac };
    const hostInterface: Interface = { name: hostLink.name, mac: hostLink.mac };
    const contInterface: Interface = { name: args.ifName, mac: pair.contVeth.mac, sandbox: args.netns };
    const result: Result = { cniVersion: '1.1.0', interfaces: [brInterface, hostInterface, contInterface] };
    // 4. MAC spoof check
    if (conf.macspoofchk) {
      const id = spoofUniqueID(args.containerID, args.ifName);
      try {
        setupSpoofCheck(hostLink.name, pair.contVeth.mac, id);
      } catch (e) {
        throw internal('failed to set up the MAC spoof check', e);
      }
      rb.push('remove the MAC spoof check', () => teardownSpoofCheck(id));
    }
    if (isLayer3) {
      // 5. IPAM, then the container side
      const type = conf.ipam?.type ?? '';
      const r = await delegateAdd(type, args.stdinData);
      rb.push(`IPAM DEL (${type})`, () => delegateDel(type, args.stdinData));
      if (!r.ips || r.ips.length === 0)
        throw new CniError(ErrCode.Internal, 'IPAM plugin returned missing IP config');
      result.ips = r.ips.map((ip) => ({ ...ip, interface: 2 }));
      result.routes = r.routes ?? [];
      if (r.dns && !isEmptyDNS(r.dns)) result.dns = r.dns;
      const gws = calcGateways(result, conf);
      if (conf.enabledad) {
        trySysctl(contNs, `net/ipv6/conf/${args.ifName}/enhanced_dad`, '1');
        trySysctl(contNs, `net/ipv6/conf/${args.ifName}/accept_dad`, '1');
      } else {
        trySysctl(contNs, `net/ipv6/conf/${args.ifName}/accept_dad`, '0');
      }
      trySysctl(contNs, `net/ipv4/conf/${args.ifName}/arp_notify`, '1');
      try {
        configureIface(contNs, args.ifName, result);
      } catch (e) {
        throw internal('', e);
      }
      // 6. the gateway addresses
      if (conf.isGateway) {
        let gwLink = br;
        if (conf.vlan !== 0) {
          gwLink = ensureVlanInterface(nl, br, conf, hostNs);
          result.interfaces?.push({ name: gwLink.name, mac: gwLink.mac });
        }
        const families = new Set<4 | 6>();
        for (const gw of gws) {
          ensureAddr(nl, gwLink, gw, conf.forceAddress);
          families.add(gw.family);
        }
        try {
          if (families.has(4)) enableIP4Forward();
          if (families.has(6)) enableIP6Forward();
        } catch (e) {
          throw internal('', e);
        }
      }
      // 7. masquerading
      if (conf.ipMasq) {
        const masq = {
          ipns: result.ips.map((i) => i.address),
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
    } else if (!conf.disableContainerInterface) {
      // 8. layer 2 only: just bring the container side up
      const c = Netlink.open(contNs);
      try {
        c.linkSetUp(pair.contVeth.index);
      } catch (e) {
        throw internal(`failed to set ${JSON.stringify(args.ifName)} up`, e);
      } finally {
        c.close();
      }
    }
    // 9. the port must forward before the container uses it
    const port = conf.disableContainerInterface ? undefined : waitPortUp(nl, hostLink.index);
    // 10. MACs can change once the bridge has ports and addresses (the port just read is current)
    brInterface.mac = nl.linkByIndex(br.index).mac;
    hostInterface.mac = (port ?? nl.linkByIndex(hostLink.index)).mac;
    if (!isEmptyDNS(conf.dns)) result.dns = conf.dns as NonNullable<BridgeConf['dns']>;
    return result;
  } catch (e) {
    await rb.run();
    throw e;
  } finally {
    nl.close();
    hostNs.close();
    contNs.close();
  }
}

/**
 * DEL: delete the container interface (remembering its addresses), release IPAM, remove the
 * spoof check and the masquerading. A missing netns, a missing link and a second DEL succeed;
 * the bridge and its addresses stay.
 */
export async function cmdDel(args: CmdArgs): Promise<void> {
  const conf = parseConf(args.stdinData, args.args);
  const isLayer3 = Boolean(conf.ipam?.type);
  const ipamDel = async () => {
    if (isLayer3) await delegateDel(conf.ipam?.type ?? '', args.stdinData);
  };
  if (args.netns === '') return ipamDel();
  const contNs = openNetNSForDel(args.netns, ErrCode.InvalidNetNS);
  if (!contNs) return ipamDel();
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
  await ipamDel();
  if (conf.macspoofchk) {
    try {
      teardownSpoofCheck(spoofUniqueID(args.containerID, args.ifName));
    } catch (e) {
      process.stderr.write(`${msg(e)}\n`);
    }
  }
  if (isLayer3 && conf.ipMasq && addrs.length > 0) {
    try {
      teardownIPMasq({ ipns: addrs, network: conf.name, ifname: args.ifName, containerID: args.containerID });
    } catch (e) {
      throw internal('failed to remove IP masquerading', e);
    }
  }
}

/** CHECK: the bridge, the container veth and its host peer as prevResult says, then IPs and routes. */
export async function cmdCheck(args: CmdArgs): Promise<void> {
  const conf = parseConf(args.stdinData, args.args);
  if (conf.ipam?.type) await delegateCheck(conf.ipam.type, args.stdinData);
  if (!conf.rawPrevResult || !conf.prevResult)
    throw new CniError(ErrCode.Internal, 'Required prevResult missing');
  const prev = conf.prevResult;
  const ifs = prev.interfaces ?? [];
  const brMap = ifs.find((i) => i.name === conf.bridge);
  const contMap = ifs.find((i) => i.name === args.ifName && i.sandbox === args.netns);
  if (!contMap) {
    const other = ifs.find((i) => i.name === args.ifName);
    throw new CniError(
      ErrCode.Internal,
      `Sandbox in prevResult ${other?.sandbox ?? ''} doesn't match configured netns: ${args.netns}`,
    );
  }
  const nl = Netlink.open();
  try {
    // the bridge
    const br = linkByNameOrUndefined(nl, conf.bridge);
    if (!br || !brMap)
      throw new CniError(
        ErrCode.Internal,
        `CNI created bridge ${conf.bridge} in host namespace was not found`,
      );
    if (br.kind !== 'bridge')
      throw new CniError(ErrCode.Internal, `Error: Bridge interface ${br.name} not of type bridge`);
    if (brMap.mac && brMap.mac.toLowerCase() !== br.mac)
      throw new CniError(ErrCode.Internal, `Bridge interface ${br.name} Mac doesn't match: ${brMap.mac}`);
    if (conf.promiscMode !== br.promisc)
      throw new CniError(
        ErrCode.Internal,
        `Bridge interface ${br.name} configured Promisc Mode ${conf.promiscMode} doesn't match current state: ${br.promisc}`,
      );
    // the container veth, its addresses and routes
    const contNs = openNetNS(args.netns, ErrCode.InvalidNetNS);
    let cont: { link: Link; peerIndex: number };
    try {
      const c = Netlink.open(contNs);
      try {
        try {
          cont = getVethPeerIfindex(c, args.ifName);
        } catch (e) {
          if (isNotFound(e))
            throw new CniError(
              ErrCode.Internal,
              `CNI created interface in container ${args.ifName} not found`,
            );
          throw new CniError(ErrCode.Internal, `Error: Container interface ${args.ifName} not of type veth`);
        }
        if (contMap.mac && contMap.mac.toLowerCase() !== cont.link.mac)
          throw new CniError(
            ErrCode.Internal,
            `Interface ${args.ifName} Mac ${contMap.mac} doesn't match container Mac: ${cont.link.mac}`,
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
    // the host veth: peer of the container veth, port of the bridge
    let found = false;
    for (const intf of ifs) {
      if (intf.name === brMap.name || intf.name === contMap.name) continue;
      const l = linkByNameOrUndefined(nl, intf.name);
      if (l?.kind !== 'veth') continue;
      if (l.index !== cont.peerIndex || l.parent !== cont.link.index) continue;
      if (l.master !== br.index)
        throw new CniError(ErrCode.Internal, `Interface ${l.name} veth not part of bridge ${br.name}`);
      if (intf.mac && intf.mac.toLowerCase() !== l.mac)
        throw new CniError(
          ErrCode.Internal,
          `Interface ${intf.name} Mac ${intf.mac} doesn't match: ${l.mac}`,
        );
      found = true;
      break;
    }
    if (!found)
      throw new CniError(ErrCode.Internal, `CNI veth created for bridge ${conf.bridge} was not found`);
  } finally {
    nl.close();
  }
}

export async function cmdStatus(args: CmdArgs): Promise<void> {
  await forwardStatus(parseNetConf(args.stdinData), args.stdinData);
}

/**
 * GC of the MAC spoof check: chains and rules of attachments not in `valid`, except those whose
 * host port still exists on another bridge (another network's; the chains carry no network
 * name). Failures are errors when this network uses `macspoofchk`, else only logged.
 */
function gcSpoof(conf: BridgeConf, valid: GCAttachment[]): void {
  if (new Nft().engine() === null) return;
  const nl = Netlink.open();
  try {
    const br = linkByNameOrUndefined(nl, conf.bridge);
    gcSpoofCheck({
      valid: new Set(valid.map((a) => spoofUniqueID(a.containerID, a.ifname))),
      foreign: (iif) => {
        const port = linkByNameOrUndefined(nl, iif);
        return Boolean(port?.master) && port?.master !== br?.index;
      },
    });
  } catch (e) {
    if (conf.macspoofchk) throw internal('failed to clean up the MAC spoof check', e);
    process.stderr.write(`MAC spoof check GC: ${msg(e)}\n`);
  } finally {
    nl.close();
  }
}

/**
 * GC: masquerade rules and MAC spoof check chains of this network whose attachment is no longer
 * valid; then IPAM GC.
 */
export async function cmdGC(args: CmdArgs): Promise<void> {
  const conf = parseConf(args.stdinData, args.args);
  const valid = validAttachments(conf.raw);
  gcSpoof(conf, valid);
  if (conf.ipMasq) {
    try {
      gcIPMasq(conf.name, valid);
    } catch (e) {
      throw internal('failed to clean up IP masquerading', e);
    }
  }
  await forwardGC(conf, args.stdinData);
}

export const plugin: PluginDef = {
  type: 'bridge',
  versions: versionsFrom('0.1.0'),
  about: 'CNI bridge plugin v1.0.0',
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  status: cmdStatus,
  gc: cmdGC,
};
