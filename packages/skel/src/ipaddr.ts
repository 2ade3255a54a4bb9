// Minimal IP parsing/formatting with Go net.IP semantics, enough to validate and normalise the
// addresses carried in results (lower-case, compressed IPv6; IPv4-mapped IPv6 printed as IPv4).
import { isDecimal, isHex } from './chars.js';

function parse4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    // Go rejects empty parts, non-digits, leading zeros and values above 255.
    if (!isDecimal(p, 3) || (p.length > 1 && p[0] === '0')) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

/** 16 bytes for IPv6 (IPv4 in IPv4-mapped form) or undefined. */
function parse6(s: string): number[] | undefined {
  if (s.includes('%')) return undefined;
  let tail4: number[] = [];
  let str = s;
  const lastColon = str.lastIndexOf(':');
  if (lastColon >= 0 && str.slice(lastColon + 1).includes('.')) {
    const v4 = parse4(str.slice(lastColon + 1));
    if (!v4) return undefined;
    tail4 = v4;
    str = `${str.slice(0, lastColon + 1)}0:0`;
  }
  const dbl = str.indexOf('::');
  if (dbl !== str.lastIndexOf('::')) return undefined;
  const groupsOf = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!isHex(g, 4)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  if (dbl >= 0) {
    const head = groupsOf(str.slice(0, dbl));
    const tail = groupsOf(str.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = groupsOf(str);
    if (all?.length !== 8) return undefined;
    groups = all;
  }
  const bytes: number[] = [];
  for (const g of groups) bytes.push(g >> 8, g & 0xff);
  if (tail4.length === 4) bytes.splice(12, 4, ...tail4);
  return bytes;
}

function isMapped4(b: number[]): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

function format6(b: number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  // Longest run of two or more zero groups, first one on ties (Go and RFC 5952).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

export interface ParsedIP {
  family: 4 | 6;
  text: string;
}

/** Parse an IP address like Go's net.ParseIP; undefined when invalid. */
export function parseIP(s: string): ParsedIP | undefined {
  const v4 = parse4(s);
  if (v4) return { family: 4, text: v4.join('.') };
  const v6 = parse6(s);
  if (!v6) return undefined;
  if (isMapped4(v6)) return { family: 4, text: v6.slice(12).join('.') };
  return { family: 6, text: format6(v6) };
}

/**
 * Parse `ip/prefix` like Go's net.ParseCIDR, keeping the host address (types.IPNet semantics).
 * Returns the normalised text, or undefined when invalid.
 */
export function parseCIDR(s: string): ParsedIP | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = s.slice(0, slash);
  const pfx = s.slice(slash + 1);
  if (!isDecimal(pfx, 3) || (pfx.length > 1 && pfx[0] === '0')) return undefined;
  const len = Number(pfx);
  const v4 = parse4(addr);
  if (v4) {
    if (len > 32) return undefined;
    return { family: 4, text: `${v4.join('.')}/${len}` };
  }
  const v6 = parse6(addr);
  if (!v6 || len > 128) return undefined;
  // Go prints an IPv4-mapped network with the IPv4 part of its mask (a /0 below 96 bits).
  if (isMapped4(v6)) return { family: 4, text: `${v6.slice(12).join('.')}/${Math.max(0, len - 96)}` };
  return { family: 6, text: `${format6(v6)}/${len}` };
}
