// The little IP text handling the codec needs: text ↔ bytes, CIDR split. Bad input throws
// an Error naming the value (callers wrap it with the key).
// Not node:net's isIP: loading node:net (streams, sockets) costs every plugin process ~2 ms.
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const ZONE = /^[0-9a-zA-Z\-.:]+$/;

// A scan rather than a regular expression: V8 compiles a regexp to native code on its second
// use, which costs a plugin process (that checks a handful of addresses) ~0.5 ms.
/** Dotted-quad IPv4 text, as node:net's isIPv4 (no leading zeros). */
export function isIPv4(s: string): boolean {
  const n = s.length;
  if (n < 7 || n > 15) return false;
  let parts = 0;
  let value = 0;
  let digits = 0;
  let leadingZero = false;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : 0x2e; // a '.' after the end closes the last part
    if (c === 0x2e) {
      if (digits === 0 || value > 255 || (leadingZero && digits > 1)) return false;
      parts++;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits === 0) leadingZero = c === 0x30;
      if (++digits > 3) return false;
      value = value * 10 + (c - 0x30);
    } else return false;
  }
  return parts === 4;
}

/** IPv6 text (with `::`, an embedded dotted quad and a `%zone`), as node:net's isIPv6. */
export function isIPv6(s: string): boolean {
  let a = s;
  const pct = a.indexOf('%');
  if (pct >= 0) {
    if (!ZONE.test(a.slice(pct + 1))) return false;
    a = a.slice(0, pct);
  }
  const lastColon = a.lastIndexOf(':');
  if (lastColon < 0) return false;
  let extra = 0;
  const tail = a.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!isIPv4(tail)) return false;
    a = `${a.slice(0, lastColon + 1)}0`; // the dotted quad stands for two groups
    extra = 1;
  }
  const dbl = a.indexOf('::');
  if (dbl >= 0) {
    if (a.indexOf('::', dbl + 1) >= 0) return false;
    const groups = (x: string) => (x === '' ? [] : x.split(':'));
    const g = [...groups(a.slice(0, dbl)), ...groups(a.slice(dbl + 2))];
    return g.every((x) => HEX_GROUP.test(x)) && g.length + extra <= 7;
  }
  const g = a.split(':');
  return g.length + extra === 8 && g.every((x) => HEX_GROUP.test(x));
}

/** 4, 6 or 0, as node:net's isIP. */
export function isIP(s: string): 0 | 4 | 6 {
  return isIPv4(s) ? 4 : isIPv6(s) ? 6 : 0;
}

export type Family = 4 | 6;

export function ipFamily(ip: string): Family {
  if (isIPv4(ip)) return 4;
  if (isIPv6(ip)) return 6;
  throw new Error(`invalid IP address "${ip}"`);
}

export function ipToBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) throw new Error(`invalid IP address "${ip}"`);
  let text = ip;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // An embedded dotted quad (::ffff:1.2.3.4) becomes two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const b = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array<string>(8 - h.length - r.length).fill('0'), ...r];
  const out = Buffer.alloc(16);
  for (const [i, g] of groups.entries()) out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  return out;
}

/** Bytes → text; IPv6 in the RFC 5952 form Go's net.IP.String() prints. */
export function bytesToIp(b: Buffer | Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length !== 16) throw new Error(`netlink: an IP address of ${b.length} bytes`);
  const buf = Buffer.from(b);
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(buf.readUInt16BE(i * 2));
  // IPv4-mapped
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff)
    return `::ffff:${buf[12]}.${buf[13]}.${buf[14]}.${buf[15]}`;
  return ipv6Text(g);
}

/**
 * RFC 5952 text of eight 16-bit groups, as Go prints IPv6: lower-case hex without leading zeros,
 * the longest run of two or more zero groups (the first of equal runs) written as '::'.
 */
export function ipv6Text(g: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export interface Cidr {
  family: Family;
  ip: string;
  bytes: Buffer;
  prefix: number;
}

/** 'ip/prefix' (or a bare IP: a host prefix). */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const ip = slash < 0 ? text : text.slice(0, slash);
  const family = ipFamily(ip);
  const max = family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (p.length < 1 || p.length > 3 || [...p].some((c) => c < '0' || c > '9') || Number(p) > max)
      throw new Error(`invalid CIDR "${text}": bad prefix length "${p}"`);
    prefix = Number(p);
  }
  return { family, ip, bytes: ipToBytes(ip), prefix };
}

/** The network address of bytes/prefix (host bits cleared). */
export function maskBytes(bytes: Buffer, prefix: number): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = out[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/** The IPv4 broadcast address of bytes/prefix. */
export function broadcastBytes(bytes: Buffer, prefix: number): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = out[i]! | (~(0xff << (8 - bits)) & 0xff);
  }
  return out;
}

export function parseMac(mac: string): Buffer {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac)) throw new Error(`invalid MAC address "${mac}"`);
  return Buffer.from(mac.split(':').map((x) => Number.parseInt(x, 16)));
}

export function formatMac(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export const familyToAf = (f: Family): number => (f === 4 ? 2 : 10);
