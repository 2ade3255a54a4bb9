// Netlink attributes (struct nlattr): a 4-byte header {len u16, type u16} then the payload,
// padded to 4 bytes. The type keeps its flag bits (NLA_F_NESTED, NLA_F_NET_BYTEORDER) so
// that decode → encode gives back the same bytes; unknown attributes stay raw bytes.

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
    const len = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2);
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
    buf.writeUInt16LE(len, off);
    buf.writeUInt16LE(a.type & 0xffff, off + 2);
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
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v);
    return { type, data: b };
  },
  be16: (type: number, v: number): Attr => {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v);
    return { type, data: b };
  },
  u32: (type: number, v: number): Attr => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return { type, data: b };
  },
  be32: (type: number, v: number): Attr => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    return { type, data: b };
  },
  u64: (type: number, v: number | bigint): Attr => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
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

/** Read access to a decoded run of attributes, by type (flag bits ignored). */
export class AttrList {
  readonly list: Attr[];
  /** The first attribute of each type, built on the first get (one pass instead of one per get). */
  #first: Map<number, Buffer> | undefined;
  constructor(list: Attr[]) {
    this.list = list;
  }
  static decode(buf: Buffer, start = 0, end = buf.length): AttrList {
    return new AttrList(decodeAttrs(buf, start, end));
  }
  get(type: number): Buffer | undefined {
    // Short-lived plugin processes run this in V8's interpreter: a link message has ~50
    // attributes and a decode reads ~15 of them, so scanning per get costs more than one pass.
    // (An indexed loop, too: for-of allocates an iterator result per step there.)
    let first = this.#first;
    if (!first) {
      first = new Map();
      const list = this.list;
      for (let i = 0; i < list.length; i++) {
        const a = list[i] as Attr;
        const t = a.type & NLA_TYPE_MASK;
        if (!first.has(t)) first.set(t, a.data);
      }
      this.#first = first;
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
    return d && d.length >= 1 ? d.readUInt8(0) : undefined;
  }
  u16(type: number): number | undefined {
    const d = this.get(type);
    return d && d.length >= 2 ? d.readUInt16LE(0) : undefined;
  }
  be16(type: number): number | undefined {
    const d = this.get(type);
    return d && d.length >= 2 ? d.readUInt16BE(0) : undefined;
  }
  u32(type: number): number | undefined {
    const d = this.get(type);
    return d && d.length >= 4 ? d.readUInt32LE(0) : undefined;
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
