// Netlink attributes (struct nlattr): a 4-byte header {len u16, type u16} then the payload,
// padded to 4 bytes. The type keeps its flag bits (NLA_F_NESTED, NLA_F_NET_BYTEORDER) so
// that decode → encode gives back the same bytes; unknown attributes stay raw bytes.

import { put16le, put32le, u16le, u32le } from './bytes.js';

export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;
export const NLA_HDRLEN = 4;

export interface Attr {
  /** The raw nla_type, flag bits included. */
  type: number;
  data: Buffer;
}

export const align4 = (n: number): number => (n + 3) & ~3;

/** The attribute's type without NLA_F_NESTED / NLA_F_NET_BYTEORDER. */
export const attrType = (a: Attr): number => a.type & NLA_TYPE_MASK;

/** Decode a run of attributes. Stops at a truncated header (the kernel never sends one). */
export function decodeAttrs(buf: Buffer, start = 0, end = buf.length): Attr[] {
  const out: Attr[] = [];
  let off = start;
  while (off + NLA_HDRLEN <= end) {
    const len = u16le(buf, off);
    const type = u16le(buf, off + 2);
    if (len < NLA_HDRLEN || off + len > end) break;
    out.push({ type, data: buf.subarray(off + NLA_HDRLEN, off + len) });
    off += align4(len);
  }
  return out;
}

export function attrsLength(attrs: readonly Attr[]): number {
  let n = 0;
  for (const a of attrs) n += align4(NLA_HDRLEN + a.data.length);
  return n;
}

export function encodeAttrsInto(attrs: readonly Attr[], buf: Buffer, start: number): number {
  let off = start;
  for (const a of attrs) {
    const len = NLA_HDRLEN + a.data.length;
    put16le(buf, len, off);
    put16le(buf, a.type & 0xffff, off + 2);
    a.data.copy(buf, off + NLA_HDRLEN);
    off += align4(len);
  }
  return off;
}

export function encodeAttrs(attrs: readonly Attr[]): Buffer {
  const buf = Buffer.alloc(attrsLength(attrs));
  encodeAttrsInto(attrs, buf, 0);
  return buf;
}

// Builders. Integers are host byte order (little endian here) unless named be*.
export const attr = {
  bytes: (type: number, data: Buffer | Uint8Array): Attr => ({ type, data: Buffer.from(data) }),
  flag: (type: number): Attr => ({ type, data: Buffer.alloc(0) }),
  u8: (type: number, v: number): Attr => {
    const b = Buffer.alloc(1);
    b.writeUInt8(v);
    return { type, data: b };
  },
  u16: (type: number, v: number): Attr => {
    if (!(v >= 0 && v <= 0xffff)) throw new RangeError(`netlink: ${v} does not fit a u16 attribute`);
    const b = Buffer.alloc(2);
    put16le(b, v, 0);
    return { type, data: b };
  },
  be16: (type: number, v: number): Attr => {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v);
    return { type, data: b };
  },
  u32: (type: number, v: number): Attr => {
    const b = Buffer.alloc(4);
    put32le(b, v >>> 0, 0);
    return { type, data: b };
  },
  be32: (type: number, v: number): Attr => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    return { type, data: b };
  },
  u64: (type: number, v: number | bigint): Attr => {
    const b = Buffer.alloc(8);
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
      put32le(b, v % 0x100000000, 0);
      put32le(b, Math.floor(v / 0x100000000), 4);
    } else b.writeBigUInt64LE(BigInt(v));
    return { type, data: b };
  },
  /** A NUL-terminated string, as the kernel's NLA_STRING / NLA_NUL_STRING expect. */
  str: (type: number, s: string): Attr => ({ type, data: Buffer.from(`${s}\0`, 'utf8') }),
  /** A nested attribute; `flagged` sets NLA_F_NESTED (some kernel parsers require it). */
  nest: (type: number, children: readonly Attr[], flagged = false): Attr => ({
    type: flagged ? type | NLA_F_NESTED : type,
    data: encodeAttrs(children),
  }),
};

/**
 * Read access to a run of attributes, by type (flag bits ignored). Made from raw bytes
 * (`AttrList.decode`) it allocates nothing per attribute: the first get indexes where each type
 * starts, and only the attributes read become Buffers. A link message has ~50 attributes of which
 * a decode reads ~15; short-lived plugin processes run this in V8's interpreter, where an object
 * and a Buffer per attribute cost a bridge ADD ~150 KB of young-generation allocation.
 */
export class AttrList {
  #list: Attr[] | undefined;
  readonly #buf: Buffer | undefined;
  readonly #start: number;
  readonly #end: number;
  /** Offset of the first attribute of each type below 256 (raw form), built on the first get. */
  #first: number[] | undefined;
  /** The first attribute of each type (list form), built on the first get. */
  #firstOfList: Map<number, Buffer> | undefined;
  constructor(list: Attr[]);
  constructor(list: Attr[] | undefined, buf: Buffer, start: number, end: number);
  constructor(list: Attr[] | undefined, buf?: Buffer, start = 0, end = 0) {
    this.#list = list;
    this.#buf = buf;
    this.#start = start;
    this.#end = end;
  }
  static decode(buf: Buffer, start = 0, end = buf.length): AttrList {
    return new AttrList(undefined, buf, start, end);
  }
  /** The attributes, decoded (on first use for the raw form). */
  get list(): Attr[] {
    if (this.#list === undefined) this.#list = decodeAttrs(this.#buf as Buffer, this.#start, this.#end);
    return this.#list;
  }
  get(type: number): Buffer | undefined {
    const buf = this.#buf;
    if (buf === undefined) return this.#getFromList(type);
    let first = this.#first;
    if (first === undefined) {
      first = [];
      const end = this.#end;
      let off = this.#start;
      while (off + NLA_HDRLEN <= end) {
        const len = u16le(buf, off);
        if (len < NLA_HDRLEN || off + len > end) break;
        const t = u16le(buf, off + 2) & NLA_TYPE_MASK;
        if (t < 256 && first[t] === undefined) first[t] = off;
        off += align4(len);
      }
      this.#first = first;
    }
    if (type < 256) {
      const off = first[type];
      return off === undefined ? undefined : buf.subarray(off + NLA_HDRLEN, off + u16le(buf, off));
    }
    for (const a of this.list) if ((a.type & NLA_TYPE_MASK) === type) return a.data;
    return undefined;
  }
  #getFromList(type: number): Buffer | undefined {
    // An indexed loop: for-of allocates an iterator result per step in the interpreter.
    let first = this.#firstOfList;
    if (!first) {
      first = new Map();
      const list = this.list;
      for (let i = 0; i < list.length; i++) {
        const a = list[i] as Attr;
        const t = a.type & NLA_TYPE_MASK;
        if (!first.has(t)) first.set(t, a.data);
      }
      this.#firstOfList = first;
    }
    return first.get(type);
  }
  all(type: number): Buffer[] {
    return this.list.filter((a) => attrType(a) === type).map((a) => a.data);
  }
  has(type: number): boolean {
    return this.get(type) !== undefined;
  }
  u8(type: number): number | undefined {
    const d = this.get(type);
    return d && d.length >= 1 ? d[0] : undefined;
  }
  u16(type: number): number | undefined {
    const d = this.get(type);
    return d && d.length >= 2 ? u16le(d, 0) : undefined;
  }
  be16(type: number): number | undefined {
    const d = this.get(type);
    return d && d.length >= 2 ? d.readUInt16BE(0) : undefined;
  }
  u32(type: number): number | undefined {
    const d = this.get(type);
    return d && d.length >= 4 ? u32le(d, 0) : undefined;
  }
  be32(type: number): number | undefined {
    const d = this.get(type);
    return d && d.length >= 4 ? d.readUInt32BE(0) : undefined;
  }
  u64(type: number): bigint | undefined {
    const d = this.get(type);
    return d && d.length >= 8 ? d.readBigUInt64LE(0) : undefined;
  }
  str(type: number): string | undefined {
    const d = this.get(type);
    if (!d) return undefined;
    const nul = d.indexOf(0);
    return d.toString('utf8', 0, nul < 0 ? d.length : nul);
  }
  nested(type: number): AttrList | undefined {
    const d = this.get(type);
    return d ? AttrList.decode(d) : undefined;
  }
}
