// nlmsghdr and the fixed family headers (ifinfomsg, ifaddrmsg, rtmsg, fib_rule_hdr, ndmsg,
// tcmsg, nfgenmsg, nlmsgerr). Pure functions over Buffers; host byte order (little endian).
import { type Attr, AttrList, align4, attrsLength, decodeAttrs, encodeAttrsInto } from './attr.js';
import { put16le, put32le, s32le, u16le, u32le } from './bytes.js';

export const NLMSG_HDRLEN = 16;

export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_ECHO = 0x8;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;
/** Flags of an NLMSG_ERROR reply. */
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;
export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;

/** One message: the nlmsghdr fields and the bytes after the header. */
export interface NlMsg {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  payload: Buffer;
}

/** Split a datagram into messages; a length that overruns the buffer is an error. */
export function decodeMessages(buf: Buffer): NlMsg[] {
  const out: NlMsg[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = u32le(buf, off);
    if (len < NLMSG_HDRLEN || off + len > buf.length)
      throw new RangeError(`netlink: bad message length ${len} at ${off}`);
    out.push({
      type: u16le(buf, off + 4),
      flags: u16le(buf, off + 6),
      seq: u32le(buf, off + 8),
      pid: u32le(buf, off + 12),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return out;
}

export function encodeMessage(m: NlMsg): Buffer {
  const len = NLMSG_HDRLEN + m.payload.length;
  const out = Buffer.alloc(align4(len));
  put32le(out, len, 0);
  put16le(out, m.type, 4);
  put16le(out, m.flags, 6);
  put32le(out, m.seq >>> 0, 8);
  put32le(out, m.pid >>> 0, 12);
  m.payload.copy(out, NLMSG_HDRLEN);
  return out;
}

// ---- fixed headers as declarative structs -----------------------------------------------

type FieldType = 'u8' | 'u16' | 's16' | 'be16' | 'u32' | 's32';

export interface Struct<T> {
  readonly size: number;
  encode(v: T): Buffer;
  decode(b: Buffer, off?: number): T;
}

/** A C struct of integer fields at fixed offsets; bytes not named are padding (zero). */
export function struct<T extends object>(
  size: number,
  fields: readonly [keyof T & string, FieldType, number][],
): Struct<T> {
  return {
    size,
    encode(v) {
      const b = Buffer.alloc(size);
      for (const [name, t, off] of fields) {
        const x = Number((v as Record<string, unknown>)[name] ?? 0);
        if (t === 'u8') b[off] = x & 0xff;
        else if (t === 'u16') put16le(b, x & 0xffff, off);
        else if (t === 's16') b.writeInt16LE(x, off);
        else if (t === 'be16') b.writeUInt16BE(x & 0xffff, off);
        else if (t === 'u32') put32le(b, x >>> 0, off);
        else put32le(b, x | 0, off);
      }
      return b;
    },
    decode(b, base = 0) {
      if (b.length < base + size)
        throw new RangeError(`netlink: a ${size}-byte header, got ${b.length - base} bytes`);
      const o: Record<string, number> = {};
      for (const [name, t, off] of fields) {
        const at = base + off;
        if (t === 'u8') o[name] = b[at]!;
        else if (t === 'u16') o[name] = u16le(b, at);
        else if (t === 's16') o[name] = b.readInt16LE(at);
        else if (t === 'be16') o[name] = b.readUInt16BE(at);
        else if (t === 'u32') o[name] = u32le(b, at);
        else o[name] = s32le(b, at);
      }
      return o as T;
    },
  };
}

/** A message body: fixed header then attributes. */
export interface Body<T> {
  hdr: T;
  attrs: Attr[];
}

export function decodeBody<T>(s: Struct<T>, payload: Buffer): Body<T> {
  return { hdr: s.decode(payload), attrs: decodeAttrs(payload, align4(s.size)) };
}

/** A message body's fixed header and its attributes, read without decoding each (see AttrList). */
export function decodeBodyList<T>(s: Struct<T>, payload: Buffer): { hdr: T; attrs: AttrList } {
  return { hdr: s.decode(payload), attrs: AttrList.decode(payload, align4(s.size)) };
}

export function encodeBody<T>(s: Struct<T>, body: Body<T>): Buffer {
  const head = align4(s.size);
  const out = Buffer.alloc(head + attrsLength(body.attrs));
  s.encode(body.hdr).copy(out, 0);
  encodeAttrsInto(body.attrs, out, head);
  return out;
}

export interface IfInfoMsg {
  family: number;
  type: number;
  index: number;
  flags: number;
  change: number;
}
export const ifinfomsg = struct<IfInfoMsg>(16, [
  ['family', 'u8', 0],
  ['type', 'u16', 2],
  ['index', 's32', 4],
  ['flags', 'u32', 8],
  ['change', 'u32', 12],
]);

export interface IfAddrMsg {
  family: number;
  prefixlen: number;
  flags: number;
  scope: number;
  index: number;
}
export const ifaddrmsg = struct<IfAddrMsg>(8, [
  ['family', 'u8', 0],
  ['prefixlen', 'u8', 1],
  ['flags', 'u8', 2],
  ['scope', 'u8', 3],
  ['index', 'u32', 4],
]);

export interface RtMsg {
  family: number;
  dstLen: number;
  srcLen: number;
  tos: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  flags: number;
}
export const rtmsg = struct<RtMsg>(12, [
  ['family', 'u8', 0],
  ['dstLen', 'u8', 1],
  ['srcLen', 'u8', 2],
  ['tos', 'u8', 3],
  ['table', 'u8', 4],
  ['protocol', 'u8', 5],
  ['scope', 'u8', 6],
  ['type', 'u8', 7],
  ['flags', 'u32', 8],
]);

export interface FibRuleHdr {
  family: number;
  dstLen: number;
  srcLen: number;
  tos: number;
  table: number;
  action: number;
  flags: number;
}
export const fibRuleHdr = struct<FibRuleHdr>(12, [
  ['family', 'u8', 0],
  ['dstLen', 'u8', 1],
  ['srcLen', 'u8', 2],
  ['tos', 'u8', 3],
  ['table', 'u8', 4],
  ['action', 'u8', 7],
  ['flags', 'u32', 8],
]);

export interface NdMsg {
  family: number;
  index: number;
  state: number;
  flags: number;
  type: number;
}
export const ndmsg = struct<NdMsg>(12, [
  ['family', 'u8', 0],
  ['index', 's32', 4],
  ['state', 'u16', 8],
  ['flags', 'u8', 10],
  ['type', 'u8', 11],
]);

export interface TcMsg {
  family: number;
  index: number;
  handle: number;
  parent: number;
  info: number;
}
export const tcmsg = struct<TcMsg>(20, [
  ['family', 'u8', 0],
  ['index', 's32', 4],
  ['handle', 'u32', 8],
  ['parent', 'u32', 12],
  ['info', 'u32', 16],
]);

export interface NfGenMsg {
  family: number;
  version: number;
  resId: number;
}
export const nfgenmsg = struct<NfGenMsg>(4, [
  ['family', 'u8', 0],
  ['version', 'u8', 1],
  ['resId', 'be16', 2],
]);

/** struct nlmsgerr: the errno, then (at least) the header of the request it answers. */
export interface NlMsgErr {
  error: number;
  len: number;
  type: number;
  flags: number;
  seq: number;
  pid: number;
}
export const nlmsgerr = struct<NlMsgErr>(20, [
  ['error', 's32', 0],
  ['len', 'u32', 4],
  ['type', 'u16', 8],
  ['flags', 'u16', 10],
  ['seq', 'u32', 12],
  ['pid', 'u32', 16],
]);

/** The codec of a fixed header (alias of Struct). */
export type HeaderCodec<T> = Struct<T>;
