// Addresses: RTM_{NEW,DEL,GET}ADDR with struct ifaddrmsg and IFA_* attributes.
import { type Attr, attr } from './codec/attr.js';
import * as C from './codec/constants.js';
import {
  decodeBodyList,
  encodeBody,
  ifaddrmsg,
  NLM_F_CREATE,
  NLM_F_EXCL,
  type NlMsg,
} from './codec/message.js';
import { NetlinkError } from './errors.js';
import { broadcastBytes, bytesToIp, type Family, familyToAf, parseCidr } from './ipaddr.js';
import type { NlSocket } from './socket.js';

export interface Addr {
  index: number;
  family: 4 | 6;
  /** 'ip/prefix': the interface's own address (IFA_LOCAL when present, else IFA_ADDRESS). */
  address: string;
  /** IFA_LOCAL, when the kernel sent it (IPv4). */
  local?: string;
  /** The point-to-point peer (IFA_ADDRESS when it differs from IFA_LOCAL). */
  peer?: string;
  broadcast?: string;
  scope: number;
  flags: number;
  label?: string;
  tentative: boolean;
  dadFailed: boolean;
  /** Seconds; undefined when forever. */
  validLft?: number;
  preferredLft?: number;
}

const INFINITY = 0xffffffff;

export function decodeAddr(m: NlMsg): Addr {
  const { hdr, attrs: a } = decodeBodyList(ifaddrmsg, m.payload);
  const address = a.get(C.IFA_ADDRESS);
  const local = a.get(C.IFA_LOCAL);
  const own = local ?? address;
  const flags = a.u32(C.IFA_FLAGS) ?? hdr.flags;
  const out: Addr = {
    index: hdr.index,
    family: hdr.family === C.AF_INET6 ? 6 : 4,
    address: own ? `${bytesToIp(own)}/${hdr.prefixlen}` : '',
    scope: hdr.scope,
    flags,
    tentative: (flags & C.IFA_F_TENTATIVE) !== 0,
    dadFailed: (flags & C.IFA_F_DADFAILED) !== 0,
  };
  if (local) out.local = bytesToIp(local);
  if (local && address && !local.equals(address)) out.peer = `${bytesToIp(address)}/${hdr.prefixlen}`;
  const brd = a.get(C.IFA_BROADCAST);
  if (brd) out.broadcast = bytesToIp(brd);
  const label = a.str(C.IFA_LABEL);
  if (label) out.label = label;
  const ci = a.get(C.IFA_CACHEINFO);
  if (ci && ci.length >= 8) {
    const preferred = ci.readUInt32LE(0);
    const valid = ci.readUInt32LE(4);
    if (valid !== INFINITY) out.validLft = valid;
    if (preferred !== INFINITY) out.preferredLft = preferred;
  }
  return out;
}

export function addrList(sock: NlSocket, filter: { index?: number; family?: Family } = {}): Addr[] {
  const af = filter.family ? familyToAf(filter.family) : C.AF_UNSPEC;
  const body = encodeBody(ifaddrmsg, {
    hdr: { family: af, prefixlen: 0, flags: 0, scope: 0, index: 0 },
    attrs: [],
  });
  return sock
    .dump(C.RTM_GETADDR, body, 'addr list')
    .map(decodeAddr)
    .filter(
      (a) =>
        (filter.index === undefined || a.index === filter.index) &&
        (!filter.family || a.family === filter.family),
    );
}

export interface AddrOptions {
  noDad?: boolean;
  scope?: number;
  broadcast?: string;
  peer?: string;
}

function parse(op: string, key: string, text: string): ReturnType<typeof parseCidr> {
  try {
    return parseCidr(text);
  } catch (err) {
    throw new NetlinkError(`${op}: invalid ${key}: ${(err as Error).message}`, 22);
  }
}

function encodeAddr(op: string, index: number, cidr: string, opts: AddrOptions, forAdd: boolean): Buffer {
  if (!Number.isInteger(index) || index <= 0)
    throw new NetlinkError(`${op}: invalid link index ${String(index)}`, 22);
  if (typeof cidr !== 'string' || !cidr.includes('/'))
    throw new NetlinkError(`${op}: invalid address "${String(cidr)}": want ip/prefix`, 22);
  const c = parse(op, 'address', cidr);
  const attrs: Attr[] = [];
  let flags = 0;
  if (c.family === 4) {
    // As the reference (vishvananda/netlink AddrAdd): IFA_LOCAL is our address, IFA_ADDRESS
    // the peer (or ourselves), and a broadcast is computed for prefixes shorter than /31.
    attrs.push(attr.bytes(C.IFA_LOCAL, c.bytes));
    const peer = opts.peer !== undefined ? parse(op, 'peer', opts.peer) : undefined;
    if (peer && peer.family !== 4) throw new NetlinkError(`${op}: invalid peer "${opts.peer}": not IPv4`, 22);
    attrs.push(attr.bytes(C.IFA_ADDRESS, peer ? peer.bytes : c.bytes));
    if (forAdd) {
      if (opts.broadcast !== undefined) {
        const b = parse(op, 'broadcast', opts.broadcast);
        if (b.family !== 4)
          throw new NetlinkError(`${op}: invalid broadcast "${opts.broadcast}": not IPv4`, 22);
        attrs.push(attr.bytes(C.IFA_BROADCAST, b.bytes));
      } else if (c.prefix < 31 && !peer) {
        attrs.push(attr.bytes(C.IFA_BROADCAST, broadcastBytes(c.bytes, c.prefix)));
      }
    }
  } else {
    if (opts.peer !== undefined) {
      const peer = parse(op, 'peer', opts.peer);
      attrs.push(attr.bytes(C.IFA_LOCAL, c.bytes));
      attrs.push(attr.bytes(C.IFA_ADDRESS, peer.bytes));
    } else {
      attrs.push(attr.bytes(C.IFA_ADDRESS, c.bytes));
    }
  }
  if (forAdd && opts.noDad) flags |= C.IFA_F_NODAD;
  if (flags) attrs.push(attr.u32(C.IFA_FLAGS, flags));
  const scope = opts.scope ?? 0;
  if (!Number.isInteger(scope) || scope < 0 || scope > 255)
    throw new NetlinkError(`${op}: invalid scope ${String(scope)}`, 22);
  return encodeBody(ifaddrmsg, {
    hdr: { family: familyToAf(c.family), prefixlen: c.prefix, flags: flags & 0xff, scope, index },
    attrs,
  });
}

export function addrAdd(sock: NlSocket, index: number, cidr: string, opts: AddrOptions = {}): void {
  const op = `addr add ${cidr} dev ${index}`;
  sock.ack(C.RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, encodeAddr(op, index, cidr, opts, true), op);
}

export function addrDel(sock: NlSocket, index: number, cidr: string): void {
  const op = `addr del ${cidr} dev ${index}`;
  sock.ack(C.RTM_DELADDR, 0, encodeAddr(op, index, cidr, {}, false), op);
}
