// veth pairs and link helpers as the reference's pkg/ip does them: the container side is
// created inside the container netns and its peer is placed directly into the host netns
// (IFLA_NET_NS_FD on the peer), under a random `veth%08x` name unless one is given.
import { isExists, isNotFound, type Link, Netlink } from '@cni/netlink';
import type { NetNS } from '@cni/ns';
import { randomBytes } from './random.js';

/** What callers need of a created interface (the reference returns net.Interface). */
export interface LinkInterface {
  name: string;
  index: number;
  mac: string;
  mtu: number;
}

const VETH_NAME_TRIES = 10;

/** `veth` + 8 hex characters from 4 random bytes, as the reference's RandomVethName. */
export function randomVethName(): string {
  return `veth${randomBytes(4).toString('hex')}`;
}

export function toInterface(l: Link): LinkInterface {
  return { name: l.name, index: l.index, mac: l.mac, mtu: l.mtu };
}

export interface SetupVethOptions {
  /** the container netns (the veth is created here) */
  containerNs: NetNS;
  /** the host netns (the peer lands here) */
  hostNs: NetNS;
  /** name of the container side, e.g. CNI_IFNAME */
  contVethName: string;
  /** host side name; random `vethXXXXXXXX` (retried on clashes) when omitted */
  hostVethName?: string;
  /** MTU of both ends; the kernel default when 0 or omitted */
  mtu?: number;
  /** MAC of the container side */
  contVethMac?: string;
  /**
   * Also set the container side up (default false: as the reference, only the host side is
   * set up; ConfigureIface or the caller brings the container side up).
   */
  contUp?: boolean;
  /** An open Netlink in `hostNs` to use (it stays open); one is opened and closed otherwise. */
  hostNetlink?: Netlink;
}

export interface VethPair {
  hostVeth: LinkInterface;
  contVeth: LinkInterface;
  /** The host end as read after it was set up. */
  hostLink: Link;
}

/**
 * Create a veth pair (reference SetupVethWithName): the host end set up (the container end
 * too with `contUp`). A clash on a random
 * host name is retried up to 10 times; a clash on a given name, or on the container name,
 * is an error naming both names.
 */
export function setupVeth(opts: SetupVethOptions): VethPair {
  const { containerNs, hostNs, contVethName } = opts;
  const cont = Netlink.open(containerNs);
  const host = opts.hostNetlink ?? Netlink.open(hostNs);
  try {
    let hostName = '';
    let created: Link | undefined;
    for (let i = 0; i < VETH_NAME_TRIES && !created; i++) {
      hostName = opts.hostVethName ?? randomVethName();
      try {
        created = cont.linkAdd({
          kind: 'veth',
          name: contVethName,
          peerName: hostName,
          peerNsFd: hostNs.fd,
          ...(opts.mtu ? { mtu: opts.mtu } : {}),
          ...(opts.contVethMac ? { mac: opts.contVethMac } : {}),
        });
      } catch (err) {
        if (!isExists(err))
          throw new Error(`failed to make veth pair: ${(err as Error).message}`, { cause: err });
        const peerTaken = linkExists(host, hostName);
        if (opts.hostVethName === undefined && peerTaken) continue;
        throw new Error(
          `container veth name (${JSON.stringify(contVethName)}) peer provided (${JSON.stringify(hostName)}) already exists`,
          {
            cause: err,
          },
        );
      }
    }
    if (!created) throw new Error('failed to find a unique veth name');
    let hostLink: Link;
    try {
      hostLink = host.linkByName(hostName);
      host.linkSetUp(hostLink.index);
      hostLink = host.linkByIndex(hostLink.index);
    } catch (err) {
      throw new Error(`failed to set ${JSON.stringify(hostName)} up: ${(err as Error).message}`, {
        cause: err,
      });
    }
    try {
      if (opts.contUp) cont.linkSetUp(created.index);
      created = cont.linkByIndex(created.index);
    } catch (err) {
      throw new Error(`failed to set ${JSON.stringify(contVethName)} up: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return { hostVeth: toInterface(hostLink), contVeth: toInterface(created), hostLink };
  } finally {
    cont.close();
    if (host !== opts.hostNetlink) host.close();
  }
}

/** The link called `name`, or undefined when there is none. */
export function linkByNameOrUndefined(nl: Netlink, name: string): Link | undefined {
  try {
    return nl.linkByName(name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export function linkExists(nl: Netlink, name: string): boolean {
  return linkByNameOrUndefined(nl, name) !== undefined;
}

/** Delete the link `name`; true when deleted, false when it was already gone. */
export function delLinkByName(nl: Netlink, name: string): boolean {
  const l = linkByNameOrUndefined(nl, name);
  if (!l) return false;
  try {
    nl.linkDel(l.index);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw new Error(`failed to delete ${JSON.stringify(name)}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Delete the link `name` and return the global addresses it had ('ip/prefix'), as the
 * reference's DelLinkByNameAddr; [] when the link was already gone.
 */
export function delLinkByNameAddr(nl: Netlink, name: string): string[] {
  const l = linkByNameOrUndefined(nl, name);
  if (!l) return [];
  const addrs = nl
    .addrList({ index: l.index })
    .filter((a) => a.scope === 0)
    .map((a) => a.address);
  delLinkByName(nl, name);
  return addrs;
}

/** Rename a link (it must be down for the kernel to accept it). */
export function renameLink(nl: Netlink, curName: string, newName: string): void {
  const l = nl.linkByName(curName);
  nl.linkSetName(l.index, newName);
}

/**
 * The ifindex of a veth's peer (IFLA_LINK; in the peer's namespace when it is elsewhere).
 * Errors when `name` is not a veth.
 */
export function getVethPeerIfindex(nl: Netlink, name: string): { link: Link; peerIndex: number } {
  const link = nl.linkByName(name);
  if (link.kind !== 'veth') throw new Error(`interface ${JSON.stringify(name)} was not a veth interface`);
  if (link.parent === undefined)
    throw new Error(`unable to determine the peer of veth ${JSON.stringify(name)}`);
  return { link, peerIndex: link.parent };
}
