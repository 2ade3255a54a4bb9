// The handle: one NETLINK_ROUTE socket bound to the namespace it was opened in.
import { NetNS } from '@cni/ns';
import * as A from './addr.js';
import * as B from './bridge.js';
import { NETLINK_ROUTE } from './codec/constants.js';
import * as C from './codec/constants.js';
import { NetlinkError } from './errors.js';
import { formatMac, parseMac } from './ipaddr.js';
import * as L from './link.js';
import * as N from './neigh.js';
import * as R from './route.js';
import * as RU from './rule.js';
import { NlSocket, type SocketOptions } from './socket.js';
import * as T from './tc.js';

export class Netlink {
  readonly sock: NlSocket;

  private constructor(sock: NlSocket) {
    this.sock = sock;
  }

  /** A handle on `ns` (default: the namespace the thread is in now); 5 s receive timeout. */
  static open(ns?: NetNS, opts: SocketOptions = {}): Netlink {
    return new Netlink(NlSocket.open(NETLINK_ROUTE, ns, opts));
  }

  close(): void {
    this.sock.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // --- links ---------------------------------------------------------------------------

  linkList(): L.Link[] {
    return L.linkList(this.sock);
  }

  linkByName(name: string): L.Link {
    return L.linkByName(this.sock, name);
  }

  linkByIndex(index: number): L.Link {
    return L.linkByIndex(this.sock, index);
  }

  linkByMac(mac: string): L.Link | undefined {
    let want: string;
    try {
      want = formatMac(parseMac(mac.toLowerCase()));
    } catch {
      throw new NetlinkError(`link by mac: invalid mac "${mac}"`, 22);
    }
    return this.linkList().find((l) => l.mac === want);
  }

  linkByAlias(alias: string): L.Link | undefined {
    return this.linkList().find((l) => l.alias === alias);
  }

  /**
   * Create a link and return it. When the link is created straight into another namespace
   * (`nsFd`), it is looked up there.
   */
  linkAdd(spec: L.LinkSpec): L.Link {
    L.linkAddRaw(this.sock, spec);
    const nsFd = (spec as { nsFd?: number }).nsFd;
    if (nsFd === undefined) return this.linkByName(spec.name);
    const ns = NetNS.open(`/proc/self/fd/${nsFd}`);
    try {
      const there = Netlink.open(ns);
      try {
        return there.linkByName(spec.name);
      } finally {
        there.close();
      }
    } finally {
      ns.close();
    }
  }

  linkDel(indexOrName: number | string): void {
    L.linkDel(this.sock, indexOrName);
  }

  linkSetUp(index: number): void {
    L.linkSetFlags(this.sock, index, C.IFF_UP, true, `link set ${index} up`);
  }

  linkSetDown(index: number): void {
    L.linkSetFlags(this.sock, index, C.IFF_UP, false, `link set ${index} down`);
  }

  linkSetPromisc(index: number, on: boolean): void {
    L.linkSetFlags(this.sock, index, C.IFF_PROMISC, on, `link set ${index} promisc ${on ? 'on' : 'off'}`);
  }

  linkSetAllmulti(index: number, on: boolean): void {
    L.linkSetFlags(
      this.sock,
      index,
      C.IFF_ALLMULTI,
      on,
      `link set ${index} allmulticast ${on ? 'on' : 'off'}`,
    );
  }

  linkSetMtu(index: number, mtu: number): void {
    L.linkSet.mtu(this.sock, index, mtu);
  }

  linkSetMac(index: number, mac: string): void {
    L.linkSet.mac(this.sock, index, mac);
  }

  linkSetName(index: number, name: string): void {
    L.linkSet.name(this.sock, index, name);
  }

  linkSetMaster(index: number, master: number): void {
    L.linkSet.master(this.sock, index, master);
  }

  /** VLAN filtering of an existing bridge on/off (the kernel needs CONFIG_BRIDGE_VLAN_FILTERING). */
  linkSetBridgeVlanFiltering(index: number, on: boolean): void {
    L.linkSetBridgeVlanFiltering(this.sock, index, on);
  }

  linkSetNsFd(index: number, fd: number): void {
    L.linkSet.nsFd(this.sock, index, fd);
  }

  linkSetTxQLen(index: number, q: number): void {
    L.linkSet.txQLen(this.sock, index, q);
  }

  linkSetAlias(index: number, alias: string): void {
    L.linkSet.alias(this.sock, index, alias);
  }

  // --- addresses -----------------------------------------------------------------------

  addrList(filter?: { index?: number; family?: 4 | 6 }): A.Addr[] {
    return A.addrList(this.sock, filter);
  }

  addrAdd(index: number, cidr: string, opts?: A.AddrOptions): void {
    A.addrAdd(this.sock, index, cidr, opts);
  }

  addrDel(index: number, cidr: string): void {
    A.addrDel(this.sock, index, cidr);
  }

  // --- routes --------------------------------------------------------------------------

  routeList(filter?: { family?: 4 | 6; table?: number; oif?: number }): R.Route[] {
    return R.routeList(this.sock, filter);
  }

  routeAdd(r: R.Route, mode: R.RouteMode = 'add'): void {
    R.routeAdd(this.sock, r, mode);
  }

  routeDel(r: R.Route): void {
    R.routeDel(this.sock, r);
  }

  routeGet(dst: string): R.Route {
    return R.routeGet(this.sock, dst);
  }

  // --- rules ---------------------------------------------------------------------------

  ruleList(family: 4 | 6): RU.Rule[] {
    return RU.ruleList(this.sock, family);
  }

  ruleAdd(r: RU.Rule): void {
    RU.ruleAdd(this.sock, r);
  }

  ruleDel(r: RU.Rule): void {
    RU.ruleDel(this.sock, r);
  }

  // --- neighbours ----------------------------------------------------------------------

  neighList(filter?: { index?: number; family?: 4 | 6 }): N.Neigh[] {
    return N.neighList(this.sock, filter);
  }

  neighAdd(n: N.Neigh): void {
    N.neighAdd(this.sock, n);
  }

  neighDel(n: N.Neigh): void {
    N.neighDel(this.sock, n);
  }

  // --- bridge ports and VLANs ----------------------------------------------------------

  bridgePortSet(index: number, opts: B.BridgePortOptions): void {
    B.bridgePortSet(this.sock, index, opts);
  }

  /** Hairpin and isolation of a bridge port (and learning, an addition). */
  bridgePortGet(index: number): { hairpin: boolean; isolated: boolean; learning: boolean } {
    return B.bridgePortGet(this.sock, index);
  }

  bridgeVlanAdd(
    index: number,
    vid: number,
    opts?: { pvid?: boolean; untagged?: boolean; self?: boolean },
  ): void {
    B.bridgeVlanAdd(this.sock, index, vid, opts);
  }

  bridgeVlanDel(index: number, vid: number, opts?: { self?: boolean }): void {
    B.bridgeVlanDel(this.sock, index, vid, opts);
  }

  bridgeVlanList(index: number): { vid: number; pvid: boolean; untagged: boolean }[] {
    return B.bridgeVlanList(this.sock, index);
  }

  // --- traffic control -----------------------------------------------------------------

  qdiscList(index?: number): T.Qdisc[] {
    return T.qdiscList(this.sock, index);
  }

  qdiscAddTbf(index: number, opts: T.TbfOptions): void {
    T.qdiscAddTbf(this.sock, index, opts);
  }

  qdiscAddIngress(index: number): void {
    T.qdiscAddIngress(this.sock, index);
  }

  qdiscDel(index: number, parent: 'root' | 'ingress'): void {
    T.qdiscDel(this.sock, index, parent);
  }

  filterAddU32MirredRedirect(
    index: number,
    parentHandle: number,
    targetIndex: number,
    opts?: T.MirredRedirectOptions,
  ): void {
    T.filterAddU32MirredRedirect(this.sock, index, parentHandle, targetIndex, opts);
  }
}
