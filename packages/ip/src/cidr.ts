// IP and CIDR arithmetic for IPv4 and IPv6, with the semantics of the Go reference's
// `pkg/ip` and `net` packages: addresses are values (family + 32/128-bit integer), parsing
// is as strict as Go's net.ParseIP / net.ParseCIDR, and text is canonical (RFC 5952 for
// IPv6). IPv6 is parsed here and printed by @cni/netlink's ipv6Text, not by ipaddr.js, whose
// module set-up cost every plugin process ~0.5 ms; dotted quads are checked by its isIPv4.

import { ipv6Text, isIPv4 } from '@cni/netlink';

export type IPFamily = 4 | 6;

/** One address. `value` is the address as an unsigned 32-bit (v4) or 128-bit (v6) integer. */
export interface IP {
  readonly family: IPFamily;
  readonly value: bigint;
}

/** An address with a prefix length. `ip` may have host bits set (10.0.0.5/24). */
export interface IPNet {
  readonly ip: IP;
  readonly prefix: number;
}

/** The number of bits in an address of this family. */
export function familyBits(family: IPFamily): number {
  return family === 4 ? 32 : 128;
}

/** A dotted quad as Go reads it: four decimal parts of 0-255, no leading zeros (node:net's rule). */
function parseV4Value(text: string): bigint | undefined {
  if (!isIPv4(text)) return undefined;
  let v = 0;
  for (const p of text.split('.')) v = v * 256 + Number(p);
  return BigInt(v);
}

/** Hex groups separated by ':' (1-4 digits each), or undefined. '' gives no groups. */
function hexGroups(text: string): number[] | undefined {
  if (text === '') return [];
  const out: number[] = [];
  let g = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x3a;
    if (c === 0x3a) {
      if (digits === 0) return undefined;
      out.push(g);
      g = 0;
      digits = 0;
      continue;
    }
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
    else return undefined;
    if (++digits > 4) return undefined;
    g = g * 16 + d;
  }
  return out;
}

function parseV6Value(text: string): bigint | undefined {
  // Zones (fe80::1%eth0) are not addresses for Go's net.ParseIP.
  let src = text;
  let tailGroups: number[] = [];
  // An embedded dotted quad (::1.2.3.4, 1:2:3:4:5:6:1.2.3.4) stands for the last two groups.
  const lastColon = src.lastIndexOf(':');
  if (lastColon < 0) return undefined;
  const tail = src.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseV4Value(tail);
    if (v4 === undefined) return undefined;
    const n = Number(v4);
    tailGroups = [Math.floor(n / 0x10000), n & 0xffff];
    // Keep the ':' before the quad when it is part of '::' (as in ::1.2.3.4).
    src = src.endsWith(`::${tail}`) ? src.slice(0, lastColon + 1) : src.slice(0, lastColon);
  }
  let groups: number[];
  const dbl = src.indexOf('::');
  if (dbl >= 0) {
    if (src.indexOf('::', dbl + 1) >= 0) return undefined;
    const head = hexGroups(src.slice(0, dbl));
    const rest = hexGroups(src.slice(dbl + 2));
    if (head === undefined || rest === undefined) return undefined;
    const given = head.length + rest.length + tailGroups.length;
    // '::' stands for at least one group.
    if (given > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - given).fill(0), ...rest, ...tailGroups];
  } else {
    const all = hexGroups(src);
    if (all === undefined) return undefined;
    groups = [...all, ...tailGroups];
    if (groups.length !== 8) return undefined;
  }
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  return v;
}

const V4_MAPPED_PREFIX = 0xffffn << 32n;

/**
 * Parse an address as Go's net.ParseIP does: dotted-quad IPv4 (no leading zeros) or IPv6
 * text. IPv4-mapped IPv6 (::ffff:a.b.c.d) is returned as IPv4, like Go's `To4()`.
 * Returns undefined for anything else.
 */
export function parseIP(text: string): IP | undefined {
  if (typeof text !== 'string' || text.length === 0) return undefined;
  if (!text.includes(':')) {
    const v = parseV4Value(text);
    return v === undefined ? undefined : { family: 4, value: v };
  }
  const v = parseV6Value(text);
  if (v === undefined) return undefined;
  if (v >> 32n === 0xffffn && (v & ~0xffffffffn) === V4_MAPPED_PREFIX) {
    return { family: 4, value: v & 0xffffffffn };
  }
  return { family: 6, value: v };
}

/** Parse `ip/prefix` as Go's net.ParseCIDR (the address keeps its host bits). */
export function parseCIDR(text: string): IPNet | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addrText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (prefixText.length < 1 || prefixText.length > 3) return undefined;
  for (let i = 0; i < prefixText.length; i++) {
    const c = prefixText.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  const prefix = Number(prefixText);
  // Go keeps a mapped address in a CIDR as 16 bytes with a 128-bit mask; the prefix is
  // then relative to 128 bits. Parse the family from the text, not from To4().
  let ip: IP | undefined;
  if (addrText.includes(':')) {
    const v = parseV6Value(addrText);
    if (v === undefined) return undefined;
    ip = { family: 6, value: v };
  } else {
    ip = parseIP(addrText);
  }
  if (!ip || prefix > familyBits(ip.family)) return undefined;
  return { ip, prefix };
}

/**
 * Parse either a bare address or `address/prefix` (the reference's `ip.ParseIP` / `ip.IP`
 * type used for requested IPs). A bare address has no prefix.
 */
export function parseIPOrCIDR(text: string): { ip: IP; prefix?: number } | undefined {
  if (typeof text !== 'string') return undefined;
  if (text.includes('/')) {
    const n = parseCIDR(text);
    if (!n) return undefined;
    // A v4-mapped address with a prefix is still an IPv4 request for the allocator.
    const ip = parseIP(text.slice(0, text.indexOf('/')));
    return ip ? { ip, prefix: n.prefix } : undefined;
  }
  const ip = parseIP(text);
  return ip ? { ip } : undefined;
}

function maxValue(family: IPFamily): bigint {
  return (1n << BigInt(familyBits(family))) - 1n;
}

/** The netmask of a prefix length as an integer. */
export function maskValue(family: IPFamily, prefix: number): bigint {
  const bits = BigInt(familyBits(family));
  const p = BigInt(prefix);
  return ((1n << p) - 1n) << (bits - p);
}

/** Canonical text: dotted quad for IPv4, RFC 5952 for IPv6 (as Go prints them). */
export function formatIP(ip: IP): string {
  if (ip.family === 4) {
    const v = Number(ip.value);
    return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  // RFC 5952, as Go prints it (a value in ::ffff:0:0/96 stays in hex here: family 6 was asked).
  const g: number[] = new Array(8);
  let v = ip.value;
  for (let i = 7; i >= 0; i--) {
    g[i] = Number(v & 0xffffn);
    v >>= 16n;
  }
  return ipv6Text(g);
}

/** `ip/prefix` text, keeping the address as it is (host bits included). */
export function formatCIDR(net: IPNet): string {
  return `${formatIP(net.ip)}/${net.prefix}`;
}

/** Build an address from a family and integer value (wrapped into range). */
export function ipFromValue(family: IPFamily, value: bigint): IP {
  return { family, value: value & maxValue(family) };
}

/** The next address, wrapping at the end of the family's space (Go's ip.NextIP). */
export function nextIP(ip: IP): IP {
  return ipFromValue(ip.family, ip.value + 1n);
}

/** The previous address, wrapping at zero (Go's ip.PrevIP). */
export function prevIP(ip: IP): IP {
  return ipFromValue(ip.family, ip.value - 1n);
}

/**
 * Compare two addresses as Go's ip.Cmp: -1, 0 or 1 within a family; -2 when the families
 * differ.
 */
export function compareIP(a: IP, b: IP): -2 | -1 | 0 | 1 {
  if (a.family !== b.family) return -2;
  if (a.value < b.value) return -1;
  if (a.value > b.value) return 1;
  return 0;
}

export function ipEqual(a: IP | undefined, b: IP | undefined): boolean {
  if (!a || !b) return false;
  return a.family === b.family && a.value === b.value;
}

/** The network of a prefix: host bits cleared (Go's ip.Network). */
export function networkOf(net: IPNet): IPNet {
  return {
    ip: { family: net.ip.family, value: net.ip.value & maskValue(net.ip.family, net.prefix) },
    prefix: net.prefix,
  };
}

/** The network address (first address) of a prefix. */
export function firstAddress(net: IPNet): IP {
  return networkOf(net).ip;
}

/** The last address of a prefix (the IPv4 broadcast address; the very last IPv6 address). */
export function lastAddress(net: IPNet): IP {
  const fam = net.ip.family;
  const hostMask = maxValue(fam) ^ maskValue(fam, net.prefix);
  return { family: fam, value: (net.ip.value & maskValue(fam, net.prefix)) | hostMask };
}

/** True when the address lies in the prefix (same family required). */
export function containsIP(net: IPNet, ip: IP): boolean {
  if (net.ip.family !== ip.family) return false;
  const m = maskValue(ip.family, net.prefix);
  return (net.ip.value & m) === (ip.value & m);
}

/** True when two prefixes share at least one address. */
export function overlaps(a: IPNet, b: IPNet): boolean {
  if (a.ip.family !== b.ip.family) return false;
  return containsIP(a, b.ip) || containsIP(b, a.ip);
}

/** True when the address of a prefix has bits set below the prefix length. */
export function hasHostBits(net: IPNet): boolean {
  return networkOf(net).ip.value !== net.ip.value;
}

/** The number of addresses in a prefix. */
export function addressCount(net: IPNet): bigint {
  return 1n << BigInt(familyBits(net.ip.family) - net.prefix);
}

/** Canonical CIDR text of a prefix's network (10.0.0.0/24 for 10.0.0.5/24). */
export function canonicalCIDR(net: IPNet): string {
  return formatCIDR(networkOf(net));
}
