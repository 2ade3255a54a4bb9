// Routes: RTM_{NEW,DEL,GET}ROUTE with struct rtmsg and RTA_* attributes.
import { type Attr, AttrList, attr, encodeAttrs } from './codec/attr.js';
import * as C from './codec/constants.js';
import {
  decodeBodyList,
  encodeBody,
  NLM_F_APPEND,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  type NlMsg,
  type RtMsg,
  rtmsg,
} from './codec/message.js';
import { NetlinkError } from './errors.js';
import { bytesToIp, type Family, familyToAf, ipFamily, ipToBytes, maskBytes, parseCidr } from './ipaddr.js';
import type { NlSocket } from './socket.js';

export interface NextHop {
  gw?: string;
  oif: number;
  /** 1–256 (rtnh_hops + 1). */
  weight?: number;
}

export interface Route {
  family: 4 | 6;
  /** CIDR; undefined = default route. */
  dst?: string;
  gw?: string;
  oif?: number;
  src?: string;
  /** Default main (254). */
  table?: number;
  /** 0 universe, 253 link, 254 host. */
  scope?: number;
  priority?: number;
  protocol?: number;
  /** 1 unicast. */
  type?: number;
  onlink?: boolean;
  mtu?: number;
  advmss?: number;
  multipath?: NextHop[];
}

export type RouteMode = 'add' | 'append' | 'replace';

export function decodeRoute(m: NlMsg): Route & { flags: number } {
  const { hdr, attrs: a } = decodeBodyList(rtmsg, m.payload);
  const family: Family = hdr.family === C.AF_INET6 ? 6 : 4;
  const r: Route & { flags: number } = {
    family,
    table: a.u32(C.RTA_TABLE) ?? hdr.table,
    scope: hdr.scope,
    protocol: hdr.protocol,
    type: hdr.type,
    flags: hdr.flags,
  };
  const dst = a.get(C.RTA_DST);
  if (dst) r.dst = `${bytesToIp(dst)}/${hdr.dstLen}`;
  else if (hdr.dstLen > 0) r.dst = `${family === 4 ? '0.0.0.0' : '::'}/${hdr.dstLen}`;
  const gw = a.get(C.RTA_GATEWAY);
  if (gw) r.gw = bytesToIp(gw);
  const oif = a.u32(C.RTA_OIF);
  if (oif !== undefined) r.oif = oif;
  const src = a.get(C.RTA_PREFSRC);
  if (src) r.src = bytesToIp(src);
  const prio = a.u32(C.RTA_PRIORITY);
  if (prio !== undefined) r.priority = prio;
  if (hdr.flags & C.RTNH_F_ONLINK) r.onlink = true;
  const metrics = a.nested(C.RTA_METRICS);
  if (metrics) {
    const mtu = metrics.u32(C.RTAX_MTU);
    if (mtu !== undefined) r.mtu = mtu;
    const advmss = metrics.u32(C.RTAX_ADVMSS);
    if (advmss !== undefined) r.advmss = advmss;
  }
  const mp = a.get(C.RTA_MULTIPATH);
  if (mp) {
    const hops: NextHop[] = [];
    let off = 0;
    while (off + 8 <= mp.length) {
      const len = mp.readUInt16LE(off);
      if (len < 8 || off + len > mp.length) break;
      const hop: NextHop = { oif: mp.readInt32LE(off + 4), weight: mp.readUInt8(off + 3) + 1 };
      const ha = AttrList.decode(mp, off + 8, off + len);
      const hgw = ha.get(C.RTA_GATEWAY);
      if (hgw) hop.gw = bytesToIp(hgw);
      hops.push(hop);
      off += (len + 3) & ~3;
    }
    r.multipath = hops;
  }
  return r;
}

function bad(op: string, key: string, value: unknown, why = ''): never {
  throw new NetlinkError(`${op}: invalid ${key} ${JSON.stringify(value)}${why ? `: ${why}` : ''}`, 22);
}

function ipOf(op: string, key: string, ip: string, family: Family): Buffer {
  let f: Family;
  try {
    f = ipFamily(ip);
  } catch {
    return bad(op, key, ip);
  }
  if (f !== family) bad(op, key, ip, `not IPv${family}`);
  return ipToBytes(ip);
}

function int(op: string, key: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(op, key, v);
  return v;
}

function describe(r: Route): string {
  return `${r.dst ?? 'default'}${r.gw ? ` via ${r.gw}` : ''}${r.oif ? ` dev ${r.oif}` : ''}${r.table && r.table !== 254 ? ` table ${r.table}` : ''}`;
}

/** The request body for a route: `forDel` leaves unset type/protocol/scope as wildcards. */
export function encodeRoute(op: string, r: Route, forDel: boolean): Buffer {
  if (r.family !== 4 && r.family !== 6) bad(op, 'family', r.family);
  const family = r.family;
  const table = int(op, 'table', r.table ?? C.RT_TABLE_MAIN, 1, 0xffffffff);
  const hdr: RtMsg = {
    family: familyToAf(family),
    dstLen: 0,
    srcLen: 0,
    tos: 0,
    table: table < 256 ? table : C.RT_TABLE_UNSPEC,
    // The reference creates routes with protocol boot, type unicast; a delete matches any.
    protocol: int(op, 'protocol', r.protocol ?? (forDel ? C.RTPROT_UNSPEC : C.RTPROT_BOOT), 0, 255),
    scope: int(op, 'scope', r.scope ?? (forDel ? C.RT_SCOPE_NOWHERE : C.RT_SCOPE_UNIVERSE), 0, 255),
    type: int(op, 'type', r.type ?? (forDel ? C.RTN_UNSPEC : C.RTN_UNICAST), 0, 255),
    flags: r.onlink ? C.RTNH_F_ONLINK : 0,
  };
  const attrs: Attr[] = [];
  if (r.dst !== undefined) {
    let c: ReturnType<typeof parseCidr>;
    try {
      c = parseCidr(r.dst);
    } catch (err) {
      return bad(op, 'dst', r.dst, (err as Error).message);
    }
    if (c.family !== family) bad(op, 'dst', r.dst, `not IPv${family}`);
    hdr.dstLen = c.prefix;
    attrs.push(attr.bytes(C.RTA_DST, maskBytes(c.bytes, c.prefix)));
  }
  if (r.src !== undefined) attrs.push(attr.bytes(C.RTA_PREFSRC, ipOf(op, 'src', r.src, family)));
  if (r.gw !== undefined) attrs.push(attr.bytes(C.RTA_GATEWAY, ipOf(op, 'gw', r.gw, family)));
  if (r.oif !== undefined) attrs.push(attr.u32(C.RTA_OIF, int(op, 'oif', r.oif, 1, 0x7fffffff)));
  if (r.priority !== undefined)
    attrs.push(attr.u32(C.RTA_PRIORITY, int(op, 'priority', r.priority, 0, 0xffffffff)));
  attrs.push(attr.u32(C.RTA_TABLE, table));
  const metrics: Attr[] = [];
  if (r.mtu !== undefined) metrics.push(attr.u32(C.RTAX_MTU, int(op, 'mtu', r.mtu, 0, 0xffffffff)));
  if (r.advmss !== undefined)
    metrics.push(attr.u32(C.RTAX_ADVMSS, int(op, 'advmss', r.advmss, 0, 0xffffffff)));
  if (metrics.length > 0) attrs.push(attr.nest(C.RTA_METRICS, metrics));
  if (r.multipath && r.multipath.length > 0) {
    const parts: Buffer[] = [];
    for (const [i, h] of r.multipath.entries()) {
      const hattrs =
        h.gw !== undefined
          ? encodeAttrs([attr.bytes(C.RTA_GATEWAY, ipOf(op, `multipath[${i}].gw`, h.gw, family))])
          : Buffer.alloc(0);
      const nh = Buffer.alloc(8);
      nh.writeUInt16LE(8 + hattrs.length, 0);
      nh.writeUInt8(r.onlink ? C.RTNH_F_ONLINK : 0, 2);
      nh.writeUInt8(int(op, `multipath[${i}].weight`, h.weight ?? 1, 1, 256) - 1, 3);
      nh.writeInt32LE(int(op, `multipath[${i}].oif`, h.oif, 1, 0x7fffffff), 4);
      parts.push(nh, hattrs);
    }
    attrs.push(attr.bytes(C.RTA_MULTIPATH, Buffer.concat(parts)));
  }
  return encodeBody(rtmsg, { hdr, attrs });
}

const MODE_FLAGS: Record<RouteMode, number> = {
  add: NLM_F_CREATE | NLM_F_EXCL,
  append: NLM_F_CREATE | NLM_F_APPEND,
  replace: NLM_F_CREATE | NLM_F_REPLACE,
};

export function routeAdd(sock: NlSocket, r: Route, mode: RouteMode = 'add'): void {
  const op = `route ${mode} ${describe(r)}`;
  const flags = MODE_FLAGS[mode];
  if (flags === undefined) bad(op, 'mode', mode);
  sock.ack(C.RTM_NEWROUTE, flags, encodeRoute(op, r, false), op);
}

export function routeDel(sock: NlSocket, r: Route): void {
  const op = `route del ${describe(r)}`;
  sock.ack(C.RTM_DELROUTE, 0, encodeRoute(op, r, true), op);
}

export function routeList(
  sock: NlSocket,
  filter: { family?: Family; table?: number; oif?: number } = {},
): Route[] {
  const af = filter.family ? familyToAf(filter.family) : C.AF_UNSPEC;
  const body = encodeBody(rtmsg, {
    hdr: { family: af, dstLen: 0, srcLen: 0, tos: 0, table: 0, protocol: 0, scope: 0, type: 0, flags: 0 },
    attrs: [],
  });
  const table = filter.table ?? C.RT_TABLE_MAIN;
  const out: Route[] = [];
  for (const m of sock.dump(C.RTM_GETROUTE, body, 'route list')) {
    const { flags, ...r } = decodeRoute(m);
    if (flags & C.RTM_F_CLONED) continue; // cache entries, as the reference skips them
    if (table !== 0 && r.table !== table) continue;
    if (filter.family && r.family !== filter.family) continue;
    if (filter.oif !== undefined && r.oif !== filter.oif && !r.multipath?.some((h) => h.oif === filter.oif))
      continue;
    out.push(r);
  }
  return out;
}

export function routeGet(sock: NlSocket, dst: string): Route {
  const op = `route get ${dst}`;
  let family: Family;
  try {
    family = ipFamily(dst);
  } catch {
    return bad(op, 'dst', dst);
  }
  const body = encodeBody(rtmsg, {
    hdr: {
      family: familyToAf(family),
      dstLen: family === 4 ? 32 : 128,
      srcLen: 0,
      tos: 0,
      table: 0,
      protocol: 0,
      scope: 0,
      type: 0,
      flags: 0,
    },
    attrs: [attr.bytes(C.RTA_DST, ipToBytes(dst))],
  });
  const { flags: _flags, ...r } = decodeRoute(sock.get(C.RTM_GETROUTE, body, op));
  return r;
}
