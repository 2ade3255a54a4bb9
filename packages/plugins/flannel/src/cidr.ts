// Just enough IP/CIDR handling for flannel, with Go's net package semantics: what
// net.ParseCIDR and net.ParseIP accept, and how IP.String / IPNet.String print
// (so the delegate config is byte-for-byte what the Go plugin writes).

/** An address as bytes: 4 for IPv4 text, 16 for IPv6 text (including v4-mapped). */
export type IPBytes = Uint8Array;

/** net.IPNet: address bytes (host bits kept or masked) and a mask of the same length. */
export interface IPNet {
  ip: IPBytes;
  mask: IPBytes;
}

function parseIPv4(s: string): IPBytes | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!/^[0-9]{1,3}$/.test(p)) return undefined;
    if (p.length > 1 && p.startsWith('0')) return undefined; // Go ≥1.17 rejects leading zeros
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseIPv6(s: string): IPBytes | undefined {
  if (s.includes('%')) return undefined; // zones are not accepted by ParseIP/ParseCIDR
  const out = new Uint8Array(16);
  const dbl = s.indexOf('::');
  if (dbl !== -1 && s.indexOf('::', dbl + 1) !== -1) return undefined;
  const parseGroups = (part: string, allowV4: boolean): number[] | undefined => {
    if (part === '') return [];
    const groups = part.split(':');
    const bytes: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i] as string;
      if (allowV4 && i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIPv4(g);
        if (!v4) return undefined;
        bytes.push(...v4);
        continue;
      }
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
      const n = Number.parseInt(g, 16);
      bytes.push(n >> 8, n & 0xff);
    }
    return bytes;
  };
  if (dbl === -1) {
    const b = parseGroups(s, true);
    if (b?.length !== 16) return undefined;
    out.set(b);
    return out;
  }
  const head = parseGroups(s.slice(0, dbl), false);
  const tail = parseGroups(s.slice(dbl + 2), true);
  if (!head || !tail) return undefined;
  if (head.length + tail.length > 14) return undefined; // '::' stands for at least one group
  out.set(head, 0);
  out.set(tail, 16 - tail.length);
  return out;
}

/** net.ParseIP: IPv4 or IPv6 text (no zone), or undefined. */
export function parseIP(s: string): IPBytes | undefined {
  if (s.includes(':')) return parseIPv6(s);
  return parseIPv4(s);
}

const prefixMask = (bits: number, len: number): IPBytes => {
  const m = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    const take = Math.max(0, Math.min(8, bits - i * 8));
    m[i] = take === 0 ? 0 : (0xff << (8 - take)) & 0xff;
  }
  return m;
};

/**
 * net.ParseCIDR: returns the address with its host bits (`ip`) and the masked network
 * (`network`); throws `invalid CIDR address: <s>` like Go.
 */
export function parseCIDR(s: string): { ip: IPNet; network: IPNet } {
  const bad = () => new Error(`invalid CIDR address: ${s}`);
  const slash = s.indexOf('/');
  if (slash === -1) throw bad();
  const addr = s.slice(0, slash);
  const prefix = s.slice(slash + 1);
  const ip = parseIP(addr);
  if (!ip) throw bad();
  if (!/^[0-9]+$/.test(prefix) || prefix.length > 8) throw bad();
  const bits = Number(prefix);
  if (bits > ip.length * 8) throw bad();
  const mask = prefixMask(bits, ip.length);
  const net = ip.map((b, i) => b & (mask[i] as number));
  return { ip: { ip, mask }, network: { ip: net, mask } };
}

const isV4Mapped = (ip: IPBytes) =>
  ip.length === 16 && ip.subarray(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff;

/** net.IP.To4 */
const to4 = (ip: IPBytes): IPBytes | undefined =>
  ip.length === 4 ? ip : isV4Mapped(ip) ? ip.subarray(12) : undefined;

/** net.IP.String: dotted IPv4 (also for v4-mapped), RFC 5952 IPv6. */
export function ipString(ip: IPBytes): string {
  const v4 = to4(ip);
  if (v4) return Array.from(v4).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip[i] as number) << 8) | (ip[i + 1] as number));
  // the longest run of ≥2 zero groups (the first on a tie) becomes '::'
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart === -1) return groups.map((g) => g.toString(16)).join(':');
  const left = groups.slice(0, bestStart).map((g) => g.toString(16));
  const right = groups.slice(bestStart + bestLen).map((g) => g.toString(16));
  return `${left.join(':')}::${right.join(':')}`;
}

function simpleMaskLength(m: IPBytes): number {
  let n = 0;
  let done = false;
  for (const b of m) {
    if (done) {
      if (b !== 0) return -1;
      continue;
    }
    if (b === 0xff) {
      n += 8;
      continue;
    }
    let v = b;
    while (v & 0x80) {
      n++;
      v = (v << 1) & 0xff;
    }
    if (v !== 0) return -1;
    done = true;
  }
  return n;
}

/** net.IPNet.String: `ip/prefix` with Go's v4-mapped handling. */
export function ipNetString(n: IPNet): string {
  let ip = to4(n.ip);
  let mask = n.mask;
  if (!ip) {
    ip = n.ip;
    if (ip.length !== 16) return '<nil>';
  }
  if (mask.length === 16 && ip.length === 4) mask = mask.subarray(12);
  else if (mask.length !== ip.length) return '<nil>';
  const l = simpleMaskLength(mask);
  if (l === -1) return `${ipString(ip)}/${Array.from(mask, (b) => b.toString(16).padStart(2, '0')).join('')}`;
  return `${ipString(ip)}/${l}`;
}

/** `s` parsed and masked to its network, printed as Go does (`10.1.17.1/24` → `10.1.17.0/24`). */
export function maskedCIDR(s: string): string {
  return ipNetString(parseCIDR(s).network);
}
