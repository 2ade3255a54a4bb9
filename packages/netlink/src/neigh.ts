// Neighbours (ARP / NDP entries): RTM_{NEW,DEL,GET}NEIGH with struct ndmsg.
import { type Attr, attr } from './codec/attr.js';
import * as C from './codec/constants.js';
import { decodeBodyList, encodeBody, NLM_F_CREATE, NLM_F_EXCL, type NlMsg, ndmsg } from './codec/message.js';
import { NetlinkError } from './errors.js';
import { bytesToIp, type Family, familyToAf, formatMac, ipFamily, ipToBytes, parseMac } from './ipaddr.js';
import type { NlSocket } from './socket.js';

export interface Neigh {
  index: number;
  family: 4 | 6;
  ip: string;
  mac?: string;
  /** NUD_* bits (0x80 permanent, 0x02 reachable, 0x04 stale, …). */
  state: number;
}

export function decodeNeigh(m: NlMsg): Neigh | undefined {
  const { hdr, attrs: a } = decodeBodyList(ndmsg, m.payload);
  if (hdr.family !== C.AF_INET && hdr.family !== C.AF_INET6) return undefined;
  const dst = a.get(C.NDA_DST);
  if (!dst) return undefined;
  const n: Neigh = {
    index: hdr.index,
    family: hdr.family === C.AF_INET6 ? 6 : 4,
    ip: bytesToIp(dst),
    state: hdr.state,
  };
  const ll = a.get(C.NDA_LLADDR);
  if (ll && ll.length === 6) n.mac = formatMac(ll);
  return n;
}

export function neighList(sock: NlSocket, filter: { index?: number; family?: Family } = {}): Neigh[] {
  const af = filter.family ? familyToAf(filter.family) : C.AF_UNSPEC;
  const body = encodeBody(ndmsg, { hdr: { family: af, index: 0, state: 0, flags: 0, type: 0 }, attrs: [] });
  const out: Neigh[] = [];
  for (const m of sock.dump(C.RTM_GETNEIGH, body, 'neigh list')) {
    const n = decodeNeigh(m);
    if (!n) continue;
    if (filter.index !== undefined && n.index !== filter.index) continue;
    if (filter.family && n.family !== filter.family) continue;
    out.push(n);
  }
  return out;
}

function encodeNeigh(op: string, n: Neigh, withMac: boolean): Buffer {
  if (!Number.isInteger(n.index) || n.index <= 0)
    throw new NetlinkError(`${op}: invalid index ${String(n.index)}`, 22);
  let family: Family;
  try {
    family = ipFamily(n.ip);
  } catch {
    throw new NetlinkError(`${op}: invalid ip ${JSON.stringify(n.ip)}`, 22);
  }
  if (n.family !== family) throw new NetlinkError(`${op}: invalid ip "${n.ip}": not IPv${n.family}`, 22);
  const attrs: Attr[] = [attr.bytes(C.NDA_DST, ipToBytes(n.ip))];
  if (withMac && n.mac !== undefined) {
    try {
      attrs.push(attr.bytes(C.NDA_LLADDR, parseMac(n.mac)));
    } catch {
      throw new NetlinkError(`${op}: invalid mac ${JSON.stringify(n.mac)}`, 22);
    }
  }
  const state = n.state ?? C.NUD_PERMANENT;
  if (!Number.isInteger(state) || state < 0 || state > 0xffff)
    throw new NetlinkError(`${op}: invalid state ${String(state)}`, 22);
  return encodeBody(ndmsg, {
    hdr: { family: familyToAf(family), index: n.index, state, flags: 0, type: 0 },
    attrs,
  });
}

export function neighAdd(sock: NlSocket, n: Neigh): void {
  const op = `neigh add ${n.ip}${n.mac ? ` lladdr ${n.mac}` : ''} dev ${n.index}`;
  sock.ack(C.RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_EXCL, encodeNeigh(op, n, true), op);
}

export function neighDel(sock: NlSocket, n: Neigh): void {
  const op = `neigh del ${n.ip} dev ${n.index}`;
  sock.ack(C.RTM_DELNEIGH, 0, encodeNeigh(op, n, false), op);
}
