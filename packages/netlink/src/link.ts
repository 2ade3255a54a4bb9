// Links: RTM_{NEW,DEL,GET,SET}LINK with struct ifinfomsg and IFLA_* attributes.
import { type Attr, AttrList, attr, NLA_F_NESTED } from './codec/attr.js';
import * as C from './codec/constants.js';
import {
  type Body,
  decodeBodyList,
  encodeBody,
  type IfInfoMsg,
  ifinfomsg,
  NLM_F_CREATE,
  NLM_F_EXCL,
  type NlMsg,
} from './codec/message.js';
import { NetlinkError } from './errors.js';
import { formatMac, parseMac } from './ipaddr.js';
import type { NlSocket } from './socket.js';

export type OperState = (typeof C.OPER_STATES)[number];
export type MacvlanMode = 'private' | 'vepa' | 'bridge' | 'passthru' | 'source';
export type IpvlanMode = 'l2' | 'l3' | 'l3s';

export interface LinkInfo {
  macvlanMode?: MacvlanMode;
  ipvlanMode?: IpvlanMode;
  vlanId?: number;
  vrfTable?: number;
  bridgeVlanFiltering?: boolean;
  tunType?: 'tun' | 'tap';
}

export interface Link {
  index: number;
  name: string;
  /** 'veth' | 'bridge' | 'macvlan' | … ; undefined for plain devices (lo, eth0 of some drivers). */
  kind?: string;
  mtu: number;
  /** 'aa:bb:cc:dd:ee:ff', lower case; '' when the device has no link-layer address. */
  mac: string;
  flags: number;
  up: boolean;
  promisc: boolean;
  allmulti: boolean;
  operState: OperState;
  master?: number;
  /** IFLA_LINK: the veth peer's / macvlan parent's ifindex (in linkNetnsId's namespace when set). */
  parent?: number;
  linkNetnsId?: number;
  alias?: string;
  txQLen?: number;
  numTxQueues?: number;
  info?: LinkInfo;
  /** ARPHRD_* device type (1 = ether, 772 = loopback, 65534 = none). */
  type?: number;
  /** The bridge/bond this device is a port of, as IFLA_INFO_SLAVE_KIND says ('bridge'). */
  slaveKind?: string;
}

export type LinkSpec =
  | {
      kind: 'veth';
      name: string;
      peerName: string;
      peerNsFd?: number;
      mtu?: number;
      mac?: string;
      peerMac?: string;
      txQLen?: number;
    }
  | { kind: 'bridge'; name: string; mtu?: number; vlanFiltering?: boolean; mac?: string }
  | {
      kind: 'macvlan' | 'macvtap';
      name: string;
      parent: number;
      mode: 'private' | 'vepa' | 'bridge' | 'passthru';
      mtu?: number;
      mac?: string;
      nsFd?: number;
      bcQueueLen?: number;
    }
  | { kind: 'ipvlan'; name: string; parent: number; mode: IpvlanMode; mtu?: number; nsFd?: number }
  | { kind: 'vlan'; name: string; parent: number; vlanId: number; mtu?: number; nsFd?: number }
  | { kind: 'vrf'; name: string; table: number }
  | { kind: 'dummy' | 'ifb'; name: string; mtu?: number; txQLen?: number };

const IFNAMSIZ = 16;

/** /[/:\s]/.test(name), as a loop (no regexp compiled in every plugin process). */
function hasSlashColonOrSpace(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2f || c === 0x3a || c === 0x20 || (c >= 0x09 && c <= 0x0d)) return true;
    if (c < 0xa0) continue;
    // The rest of JavaScript's \s: Unicode spaces and the BOM.
    if (c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029)
      return true;
    if (c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff) return true;
  }
  return false;
}

/** Interface names the kernel accepts (dev_valid_name): 1–15 bytes, no '/', ':' or space, not '.' or '..'. */
export function validateIfName(name: string, key = 'name'): void {
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    Buffer.byteLength(name) >= IFNAMSIZ ||
    name === '.' ||
    name === '..' ||
    hasSlashColonOrSpace(name)
  ) {
    throw new NetlinkError(`invalid interface ${key} "${String(name)}"`, 22);
  }
}

function fail(op: string, msg: string): never {
  throw new NetlinkError(`${op}: ${msg}`, 22);
}

export function decodeLink(m: NlMsg): Link {
  const { hdr, attrs } = decodeBodyList(ifinfomsg, m.payload);
  return linkFrom(hdr, attrs);
}

export function linkFromBody({ hdr, attrs }: Body<IfInfoMsg>): Link {
  return linkFrom(hdr, new AttrList(attrs));
}

function linkFrom(hdr: IfInfoMsg, a: AttrList): Link {
  const mac = a.get(C.IFLA_ADDRESS);
  const link: Link = {
    index: hdr.index,
    name: a.str(C.IFLA_IFNAME) ?? '',
    mtu: a.u32(C.IFLA_MTU) ?? 0,
    mac: mac ? formatMac(mac) : '',
    flags: hdr.flags,
    up: (hdr.flags & C.IFF_UP) !== 0,
    promisc: (hdr.flags & C.IFF_PROMISC) !== 0,
    allmulti: (hdr.flags & C.IFF_ALLMULTI) !== 0,
    operState: C.OPER_STATES[a.u8(C.IFLA_OPERSTATE) ?? 0] ?? 'unknown',
    type: hdr.type,
  };
  const master = a.u32(C.IFLA_MASTER);
  if (master) link.master = master;
  const parent = a.u32(C.IFLA_LINK);
  // The kernel sends IFLA_LINK only when it differs from the device's own index.
  if (parent !== undefined) link.parent = parent;
  const nsid = a.get(C.IFLA_LINK_NETNSID);
  if (nsid && nsid.length >= 4) link.linkNetnsId = nsid.readInt32LE(0);
  const alias = a.str(C.IFLA_IFALIAS);
  if (alias) link.alias = alias;
  const txq = a.u32(C.IFLA_TXQLEN);
  if (txq !== undefined) link.txQLen = txq;
  const ntx = a.u32(C.IFLA_NUM_TX_QUEUES);
  if (ntx !== undefined) link.numTxQueues = ntx;
  const li = a.nested(C.IFLA_LINKINFO);
  if (li) {
    const kind = li.str(C.IFLA_INFO_KIND);
    const slaveKind = li.str(C.IFLA_INFO_SLAVE_KIND);
    if (slaveKind) link.slaveKind = slaveKind;
    if (kind) {
      link.kind = kind;
      const data = li.nested(C.IFLA_INFO_DATA);
      const info = data ? decodeInfoData(kind, data) : undefined;
      if (info && Object.keys(info).length > 0) link.info = info;
    }
  }
  return link;
}

function decodeInfoData(kind: string, d: AttrList): LinkInfo {
  const info: LinkInfo = {};
  switch (kind) {
    case 'macvlan':
    case 'macvtap': {
      const mode = d.u32(C.IFLA_MACVLAN_MODE);
      const name = (Object.keys(C.MACVLAN_MODE) as MacvlanMode[]).find((k) => C.MACVLAN_MODE[k] === mode);
      if (name) info.macvlanMode = name;
      break;
    }
    case 'ipvlan': {
      const mode = d.u16(C.IFLA_IPVLAN_MODE);
      const name = (Object.keys(C.IPVLAN_MODE) as IpvlanMode[]).find((k) => C.IPVLAN_MODE[k] === mode);
      if (name) info.ipvlanMode = name;
      break;
    }
    case 'vlan': {
      const id = d.u16(C.IFLA_VLAN_ID);
      if (id !== undefined) info.vlanId = id;
      break;
    }
    case 'vrf': {
      const t = d.u32(C.IFLA_VRF_TABLE);
      if (t !== undefined) info.vrfTable = t;
      break;
    }
    case 'bridge': {
      const f = d.u8(C.IFLA_BR_VLAN_FILTERING);
      if (f !== undefined) info.bridgeVlanFiltering = f !== 0;
      break;
    }
    case 'tun': {
      const t = d.u8(C.IFLA_TUN_TYPE);
      if (t === 1) info.tunType = 'tun';
      else if (t === 2) info.tunType = 'tap';
      break;
    }
  }
  return info;
}

const hdr = (index = 0, family = C.AF_UNSPEC, flags = 0, change = 0): IfInfoMsg => ({
  family,
  type: 0,
  index,
  flags,
  change,
});

export function linkMessage(h: IfInfoMsg, attrs: Attr[]): Buffer {
  return encodeBody(ifinfomsg, { hdr: h, attrs });
}

function macAttr(op: string, key: string, mac: string): Attr {
  try {
    return attr.bytes(C.IFLA_ADDRESS, parseMac(mac));
  } catch {
    return fail(op, `invalid ${key} "${mac}"`);
  }
}

function u32Opt(op: string, key: string, v: unknown, min = 0, max = 0xffffffff): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    fail(op, `invalid ${key} ${String(v)}`);
  return v;
}

/** The RTM_NEWLINK body for a LinkSpec (validated; bad values name the key). */
export function encodeLinkSpec(spec: LinkSpec): Buffer {
  const op = `link add ${String(spec.name)}`;
  validateIfName(spec.name);
  const attrs: Attr[] = [attr.str(C.IFLA_IFNAME, spec.name)];
  const s = spec as LinkSpec & { mtu?: number; mac?: string; nsFd?: number; txQLen?: number };
  if (s.mtu !== undefined) attrs.push(attr.u32(C.IFLA_MTU, u32Opt(op, 'mtu', s.mtu, 68, 65535 * 4)));
  if (s.mac !== undefined) attrs.push(macAttr(op, 'mac', s.mac));
  if (s.txQLen !== undefined) attrs.push(attr.u32(C.IFLA_TXQLEN, u32Opt(op, 'txQLen', s.txQLen)));
  if ('parent' in spec) attrs.push(attr.u32(C.IFLA_LINK, u32Opt(op, 'parent', spec.parent, 1)));
  if (s.nsFd !== undefined) attrs.push(attr.u32(C.IFLA_NET_NS_FD, u32Opt(op, 'nsFd', s.nsFd)));
  const data: Attr[] = [];
  switch (spec.kind) {
    case 'veth': {
      validateIfName(spec.peerName, 'peerName');
      const peer: Attr[] = [attr.str(C.IFLA_IFNAME, spec.peerName)];
      if (spec.mtu !== undefined) peer.push(attr.u32(C.IFLA_MTU, spec.mtu));
      if (spec.peerMac !== undefined) peer.push(macAttr(op, 'peerMac', spec.peerMac));
      if (spec.txQLen !== undefined) peer.push(attr.u32(C.IFLA_TXQLEN, spec.txQLen));
      if (spec.peerNsFd !== undefined)
        peer.push(attr.u32(C.IFLA_NET_NS_FD, u32Opt(op, 'peerNsFd', spec.peerNsFd)));
      // VETH_INFO_PEER carries a whole ifinfomsg followed by the peer's attributes.
      data.push({ type: C.VETH_INFO_PEER, data: linkMessage(hdr(), peer) });
      break;
    }
    case 'bridge':
      if (spec.vlanFiltering !== undefined)
        data.push(attr.u8(C.IFLA_BR_VLAN_FILTERING, spec.vlanFiltering ? 1 : 0));
      break;
    case 'macvlan':
    case 'macvtap': {
      const mode = C.MACVLAN_MODE[spec.mode as keyof typeof C.MACVLAN_MODE];
      if (mode === undefined || (spec.mode as string) === 'source')
        fail(op, `invalid mode "${String(spec.mode)}"`);
      data.push(attr.u32(C.IFLA_MACVLAN_MODE, mode));
      if (spec.bcQueueLen !== undefined)
        data.push(attr.u32(C.IFLA_MACVLAN_BC_QUEUE_LEN, u32Opt(op, 'bcQueueLen', spec.bcQueueLen)));
      break;
    }
    case 'ipvlan': {
      const mode = C.IPVLAN_MODE[spec.mode];
      if (mode === undefined) fail(op, `invalid mode "${String(spec.mode)}"`);
      data.push(attr.u16(C.IFLA_IPVLAN_MODE, mode));
      break;
    }
    case 'vlan':
      data.push(attr.u16(C.IFLA_VLAN_ID, u32Opt(op, 'vlanId', spec.vlanId, 0, 4094)));
      break;
    case 'vrf':
      data.push(attr.u32(C.IFLA_VRF_TABLE, u32Opt(op, 'table', spec.table, 1)));
      break;
    case 'dummy':
    case 'ifb':
      break;
    default:
      fail(op, `unknown link kind "${String((spec as { kind: unknown }).kind)}"`);
  }
  const info: Attr[] = [attr.str(C.IFLA_INFO_KIND, spec.kind)];
  if (data.length > 0) info.push(attr.nest(C.IFLA_INFO_DATA, data));
  attrs.push(attr.nest(C.IFLA_LINKINFO, info));
  return linkMessage(hdr(), attrs);
}

// --- verbs on a socket -------------------------------------------------------------------

export function linkList(sock: NlSocket): Link[] {
  return sock.dump(C.RTM_GETLINK, linkMessage(hdr(), []), 'link list').map(decodeLink);
}

export function linkByName(sock: NlSocket, name: string): Link {
  const op = `link get ${name}`;
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) >= IFNAMSIZ) {
    // The kernel would answer EINVAL/ERANGE; a name that cannot exist is simply not found.
    throw new NetlinkError(`${op}: Link not found`, 19);
  }
  return decodeLink(sock.get(C.RTM_GETLINK, linkMessage(hdr(), [attr.str(C.IFLA_IFNAME, name)]), op));
}

export function linkByIndex(sock: NlSocket, index: number): Link {
  const op = `link get index ${index}`;
  if (!Number.isInteger(index) || index <= 0 || index > 0x7fffffff)
    throw new NetlinkError(`${op}: Link not found`, 19);
  return decodeLink(sock.get(C.RTM_GETLINK, linkMessage(hdr(index), []), op));
}

export function linkAddRaw(sock: NlSocket, spec: LinkSpec): void {
  sock.ack(C.RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, encodeLinkSpec(spec), `link add ${spec.name}`);
}

export function linkDel(sock: NlSocket, indexOrName: number | string): void {
  const op = `link del ${indexOrName}`;
  if (typeof indexOrName === 'string') {
    if (indexOrName.length === 0 || Buffer.byteLength(indexOrName) >= IFNAMSIZ)
      throw new NetlinkError(`${op}: Link not found`, 19);
    sock.ack(C.RTM_DELLINK, 0, linkMessage(hdr(), [attr.str(C.IFLA_IFNAME, indexOrName)]), op);
  } else {
    sock.ack(C.RTM_DELLINK, 0, linkMessage(hdr(checkIndex(op, indexOrName)), []), op);
  }
}

function checkIndex(op: string, index: number): number {
  if (!Number.isInteger(index) || index <= 0 || index > 0x7fffffff)
    fail(op, `invalid link index ${String(index)}`);
  return index;
}

/**
 * The RTM_NEWLINK body that turns VLAN filtering of the existing bridge `index` on or off
 * (`ip link set <br> type bridge vlan_filtering 1|0`): kind bridge, IFLA_BR_VLAN_FILTERING.
 */
export function encodeBridgeVlanFiltering(index: number, on: boolean): Buffer {
  const op = `link set ${index} type bridge vlan_filtering ${on ? 1 : 0}`;
  const info = [
    attr.str(C.IFLA_INFO_KIND, 'bridge'),
    attr.nest(C.IFLA_INFO_DATA, [attr.u8(C.IFLA_BR_VLAN_FILTERING, on ? 1 : 0)]),
  ];
  return linkMessage(hdr(checkIndex(op, index)), [attr.nest(C.IFLA_LINKINFO, info)]);
}

/** Change VLAN filtering of an existing bridge (RTM_NEWLINK without NLM_F_CREATE: a change). */
export function linkSetBridgeVlanFiltering(sock: NlSocket, index: number, on: boolean): void {
  const op = `link set ${index} type bridge vlan_filtering ${on ? 1 : 0}`;
  sock.ack(C.RTM_NEWLINK, 0, encodeBridgeVlanFiltering(index, on), op);
}

export function linkSetFlags(sock: NlSocket, index: number, flag: number, on: boolean, op: string): void {
  sock.ack(
    C.RTM_SETLINK,
    0,
    linkMessage(hdr(checkIndex(op, index), C.AF_UNSPEC, on ? flag : 0, flag), []),
    op,
  );
}

export function linkSetAttrs(sock: NlSocket, index: number, attrs: Attr[], op: string): void {
  sock.ack(C.RTM_SETLINK, 0, linkMessage(hdr(checkIndex(op, index)), attrs), op);
}

export const linkSet = {
  mtu: (sock: NlSocket, index: number, mtu: number): void => {
    const op = `link set ${index} mtu ${mtu}`;
    linkSetAttrs(sock, index, [attr.u32(C.IFLA_MTU, u32Opt(op, 'mtu', mtu, 1))], op);
  },
  mac: (sock: NlSocket, index: number, mac: string): void => {
    const op = `link set ${index} address ${mac}`;
    linkSetAttrs(sock, index, [macAttr(op, 'mac', mac)], op);
  },
  name: (sock: NlSocket, index: number, name: string): void => {
    const op = `link set ${index} name ${name}`;
    validateIfName(name);
    linkSetAttrs(sock, index, [attr.str(C.IFLA_IFNAME, name)], op);
  },
  master: (sock: NlSocket, index: number, master: number): void => {
    const op = master ? `link set ${index} master ${master}` : `link set ${index} nomaster`;
    linkSetAttrs(sock, index, [attr.u32(C.IFLA_MASTER, u32Opt(op, 'master', master))], op);
  },
  nsFd: (sock: NlSocket, index: number, fd: number): void => {
    const op = `link set ${index} netns fd ${fd}`;
    linkSetAttrs(sock, index, [attr.u32(C.IFLA_NET_NS_FD, u32Opt(op, 'fd', fd))], op);
  },
  txQLen: (sock: NlSocket, index: number, q: number): void => {
    const op = `link set ${index} txqueuelen ${q}`;
    linkSetAttrs(sock, index, [attr.u32(C.IFLA_TXQLEN, u32Opt(op, 'txQLen', q))], op);
  },
  alias: (sock: NlSocket, index: number, alias: string): void => {
    const op = `link set ${index} alias ${alias}`;
    if (typeof alias !== 'string' || Buffer.byteLength(alias) >= 256)
      fail(op, `invalid alias "${String(alias)}"`);
    // An empty alias removes it; the kernel takes the length from the attribute, not a NUL.
    linkSetAttrs(sock, index, [attr.bytes(C.IFLA_IFALIAS, Buffer.from(alias, 'utf8'))], op);
  },
};

export const IFLA_PROTINFO_NESTED = C.IFLA_PROTINFO | NLA_F_NESTED;
