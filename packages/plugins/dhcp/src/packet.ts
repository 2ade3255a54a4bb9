// DHCPv4 messages (RFC 2131/2132) and the IPv4/UDP framing the packet socket needs.
// Pure code: no sockets, no clocks.

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
export const MAGIC_COOKIE = 0x63825363;

export const MsgType = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
} as const;

export const Opt = {
  PAD: 0,
  SUBNET_MASK: 1,
  ROUTER: 3,
  DNS: 6,
  HOST_NAME: 12,
  STATIC_ROUTES: 33,
  VENDOR_CLASS: 60,
  REQUESTED_IP: 50,
  LEASE_TIME: 51,
  OVERLOAD: 52,
  MSG_TYPE: 53,
  SERVER_ID: 54,
  PARAM_REQUEST_LIST: 55,
  MESSAGE: 56,
  MAX_MSG_SIZE: 57,
  T1: 58,
  T2: 59,
  CLIENT_ID: 61,
  USER_CLASS: 77,
  CLASSLESS_ROUTES: 121,
  END: 255,
} as const;

export interface Dhcp4Message {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** client hardware address, lower-case colon hex */
  chaddr: string;
  /** options in the order they are written; code → raw value */
  options: Map<number, Buffer>;
}

export function ipToBytes(ip: string): Buffer {
  const parts = ip.split('.').map((p) => Number(p));
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255))
    throw new Error(`invalid IPv4 address "${ip}"`);
  return Buffer.from(parts);
}

export function bytesToIp(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

export function macToBytes(mac: string): Buffer {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p)))
    throw new Error(`invalid MAC address "${mac}"`);
  return Buffer.from(parts.map((p) => Number.parseInt(p, 16)));
}

export function bytesToMac(b: Uint8Array, off = 0, len = 6): string {
  const out: string[] = [];
  for (let i = 0; i < len; i++) out.push((b[off + i] ?? 0).toString(16).padStart(2, '0'));
  return out.join(':');
}

export function newMessage(init: Partial<Dhcp4Message> & { xid: number; chaddr: string }): Dhcp4Message {
  return {
    op: BOOTREQUEST,
    htype: 1,
    hlen: 6,
    hops: 0,
    secs: 0,
    flags: 0,
    ciaddr: '0.0.0.0',
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: '0.0.0.0',
    options: new Map(),
    ...init,
  };
}

/** Encode a message: 236-byte BOOTP header, cookie, options, END, padded to 300 bytes. */
export function encodeMessage(m: Dhcp4Message): Buffer {
  const head = Buffer.alloc(240);
  head[0] = m.op;
  head[1] = m.htype;
  head[2] = m.hlen;
  head[3] = m.hops;
  head.writeUInt32BE(m.xid >>> 0, 4);
  head.writeUInt16BE(m.secs, 8);
  head.writeUInt16BE(m.flags, 10);
  ipToBytes(m.ciaddr).copy(head, 12);
  ipToBytes(m.yiaddr).copy(head, 16);
  ipToBytes(m.siaddr).copy(head, 20);
  ipToBytes(m.giaddr).copy(head, 24);
  macToBytes(m.chaddr).copy(head, 28);
  head.writeUInt32BE(MAGIC_COOKIE, 236);
  const opts: Buffer[] = [];
  for (const [code, value] of m.options) {
    if (code === Opt.PAD || code === Opt.END) continue;
    // values longer than 255 bytes are split into several instances (RFC 3396)
    let rest = value;
    do {
      const chunk = rest.subarray(0, 255);
      opts.push(Buffer.from([code, chunk.length]), chunk);
      rest = rest.subarray(chunk.length);
    } while (rest.length > 0);
  }
  opts.push(Buffer.from([Opt.END]));
  const body = Buffer.concat([head, ...opts]);
  if (body.length >= 300) return body;
  return Buffer.concat([body, Buffer.alloc(300 - body.length)]);
}

/** Decode a BOOTP/DHCP message; undefined when it is not one. Repeated options are concatenated. */
export function decodeMessage(b: Uint8Array): Dhcp4Message | undefined {
  if (b.length < 240) return undefined;
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (buf.readUInt32BE(236) !== MAGIC_COOKIE) return undefined;
  const hlen = Math.min(buf[2]!, 16);
  const options = new Map<number, Buffer>();
  const readOpts = (from: number, to: number): void => {
    let i = from;
    while (i < to) {
      const code = buf[i]!;
      if (code === Opt.PAD) {
        i++;
        continue;
      }
      if (code === Opt.END) break;
      if (i + 1 >= to) break;
      const len = buf[i + 1]!;
      if (i + 2 + len > to) break;
      const v = buf.subarray(i + 2, i + 2 + len);
      const prev = options.get(code);
      options.set(code, prev ? Buffer.concat([prev, v]) : Buffer.from(v));
      i += 2 + len;
    }
  };
  readOpts(240, buf.length);
  const overload = options.get(Opt.OVERLOAD)?.[0] ?? 0;
  if (overload & 1) readOpts(108, 236);
  if (overload & 2) readOpts(44, 108);
  return {
    op: buf[0]!,
    htype: buf[1]!,
    hlen,
    hops: buf[3]!,
    xid: buf.readUInt32BE(4),
    secs: buf.readUInt16BE(8),
    flags: buf.readUInt16BE(10),
    ciaddr: bytesToIp(buf, 12),
    yiaddr: bytesToIp(buf, 16),
    siaddr: bytesToIp(buf, 20),
    giaddr: bytesToIp(buf, 24),
    chaddr: bytesToMac(buf, 28, Math.min(hlen, 6)),
    options,
  };
}

export function msgType(m: Dhcp4Message): number | undefined {
  return m.options.get(Opt.MSG_TYPE)?.[0];
}

export function optIp(m: Dhcp4Message, code: number): string | undefined {
  const v = m.options.get(code);
  return v && v.length >= 4 ? bytesToIp(v) : undefined;
}

export function optIps(m: Dhcp4Message, code: number): string[] {
  const v = m.options.get(code);
  const out: string[] = [];
  if (!v) return out;
  for (let i = 0; i + 4 <= v.length; i += 4) out.push(bytesToIp(v, i));
  return out;
}

export function optU32(m: Dhcp4Message, code: number): number | undefined {
  const v = m.options.get(code);
  return v && v.length >= 4 ? v.readUInt32BE(0) : undefined;
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** Prefix length of a netmask; undefined when not contiguous. */
export function maskToPrefix(mask: string): number | undefined {
  const n = ipToBytes(mask).readUInt32BE(0);
  let len = 0;
  while (len < 32 && n & (0x80000000 >>> len)) len++;
  const expect = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return n >>> 0 === expect ? len : undefined;
}

export interface ClasslessRoute {
  dst: string;
  router: string;
}

/** Option 121 (RFC 3442): width byte, significant octets of the destination, router. */
export function parseClasslessRoutes(v: Uint8Array): ClasslessRoute[] {
  const out: ClasslessRoute[] = [];
  let i = 0;
  while (i < v.length) {
    const width = v[i]!;
    if (width > 32) throw new Error(`option 121: invalid prefix length ${width}`);
    const sig = Math.ceil(width / 8);
    if (i + 1 + sig + 4 > v.length) throw new Error('option 121: truncated route');
    const d = [0, 0, 0, 0];
    for (let k = 0; k < sig; k++) d[k] = v[i + 1 + k]!;
    out.push({ dst: `${d.join('.')}/${width}`, router: bytesToIp(v, i + 1 + sig) });
    i += 1 + sig + 4;
  }
  return out;
}

export function encodeClasslessRoutes(routes: ClasslessRoute[]): Buffer {
  const parts: Buffer[] = [];
  for (const r of routes) {
    const [ip, w] = r.dst.split('/');
    const width = Number(w);
    const sig = Math.ceil(width / 8);
    parts.push(Buffer.from([width]), ipToBytes(ip!).subarray(0, sig), ipToBytes(r.router));
  }
  return Buffer.concat(parts);
}

/** Classful prefix of a destination (Go's IP.DefaultMask): A /8, B /16, C /24, else /32... as Go. */
export function classfulPrefix(ip: string): number {
  const first = ipToBytes(ip)[0]!;
  if (first < 0x80) return 8;
  if (first < 0xc0) return 16;
  return 24;
}

/** Option 33: pairs of destination (classful) and router. */
export function parseStaticRoutes(v: Uint8Array): ClasslessRoute[] {
  const out: ClasslessRoute[] = [];
  for (let i = 0; i + 8 <= v.length; i += 8) {
    const dst = bytesToIp(v, i);
    out.push({ dst: `${dst}/${classfulPrefix(dst)}`, router: bytesToIp(v, i + 4) });
  }
  return out;
}

// --- IPv4 + UDP framing -------------------------------------------------------------------

function onesSum(b: Uint8Array, sum = 0): number {
  let s = sum;
  for (let i = 0; i + 1 < b.length; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (b.length % 2) s += b[b.length - 1]! << 8;
  return s;
}

function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** An IPv4 packet (no options, TTL 64, DF clear) carrying one UDP datagram with its checksum. */
export function buildIpUdp(src: string, dst: string, sport: number, dport: number, payload: Buffer): Buffer {
  const udpLen = 8 + payload.length;
  const udp = Buffer.alloc(udpLen);
  udp.writeUInt16BE(sport, 0);
  udp.writeUInt16BE(dport, 2);
  udp.writeUInt16BE(udpLen, 4);
  payload.copy(udp, 8);
  const pseudo = Buffer.concat([ipToBytes(src), ipToBytes(dst), Buffer.from([0, 17]), Buffer.alloc(2)]);
  pseudo.writeUInt16BE(udpLen, 10);
  let csum = fold(onesSum(udp, onesSum(pseudo)));
  if (csum === 0) csum = 0xffff;
  udp.writeUInt16BE(csum, 6);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + udpLen, 2);
  ip[8] = 64;
  ip[9] = 17;
  ipToBytes(src).copy(ip, 12);
  ipToBytes(dst).copy(ip, 16);
  ip.writeUInt16BE(fold(onesSum(ip)), 10);
  return Buffer.concat([ip, udp]);
}

export interface UdpDatagram {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  payload: Buffer;
}

/** Parse an IPv4 packet carrying UDP; undefined for anything else (fragments included). */
export function parseIpUdp(b: Uint8Array): UdpDatagram | undefined {
  if (b.length < 28) return undefined;
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (buf[0]! >> 4 !== 4) return undefined;
  const ihl = (buf[0]! & 0xf) * 4;
  if (ihl < 20 || buf[9] !== 17) return undefined;
  const frag = buf.readUInt16BE(6);
  if (frag & 0x3fff) return undefined;
  const total = Math.min(buf.readUInt16BE(2), buf.length);
  if (total < ihl + 8) return undefined;
  const udpLen = buf.readUInt16BE(ihl + 4);
  const end = Math.min(total, ihl + udpLen);
  return {
    src: bytesToIp(buf, 12),
    dst: bytesToIp(buf, 16),
    sport: buf.readUInt16BE(ihl),
    dport: buf.readUInt16BE(ihl + 2),
    payload: Buffer.from(buf.subarray(ihl + 8, end)),
  };
}
