// Ranges and range sets of the host-local allocator: defaults, validation and the error
// messages of the Go reference (`backend/allocator/range.go`, `range_set.go`, `config.go`).
import {
  compareIP,
  containsIP,
  formatCIDR,
  formatIP,
  hasHostBits,
  type IP,
  type IPNet,
  lastAddress,
  networkOf,
  nextIP,
  parseCIDR,
  parseIP,
  prevIP,
} from '@cni/ip';

/** A range as written in the configuration (every field optional but `subnet`). */
export interface RangeConfig {
  subnet?: string;
  rangeStart?: string;
  rangeEnd?: string;
  gateway?: string;
}

/** A validated range with every default filled in. */
export interface Range {
  /** The subnet; its address is the network address. */
  readonly subnet: IPNet;
  readonly rangeStart: IP;
  readonly rangeEnd: IP;
  readonly gateway: IP;
}

export type RangeSet = readonly Range[];

/** Configuration that cannot be allocated from; `message` is the reference's text. */
export class RangeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RangeConfigError';
  }
}

function parseAddrField(key: string, value: unknown): IP | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string')
    throw new RangeConfigError(`${key}: expected an IP address string, got ${JSON.stringify(value)}`);
  const ip = parseIP(value);
  if (!ip) throw new RangeConfigError(`invalid IP address: ${value} (${key})`);
  return ip;
}

/** Does the (possibly partially built) range contain the address? Go's Range.Contains. */
function inRange(subnet: IPNet, start: IP | undefined, end: IP | undefined, ip: IP): boolean {
  if (!containsIP(subnet, ip)) return false;
  if (start && compareIP(ip, start) < 0) return false;
  if (end && compareIP(ip, end) > 0) return false;
  return true;
}

/** Validate one range and fill in its defaults (Go's Range.Canonicalize). */
export function canonicalizeRange(cfg: RangeConfig): Range {
  if (cfg.subnet === undefined || cfg.subnet === null || cfg.subnet === '') {
    throw new RangeConfigError('subnet: missing; every range needs a "subnet" in CIDR notation');
  }
  if (typeof cfg.subnet !== 'string')
    throw new RangeConfigError(`subnet: expected a CIDR string, got ${JSON.stringify(cfg.subnet)}`);
  const subnet = parseCIDR(cfg.subnet);
  if (!subnet) throw new RangeConfigError(`invalid CIDR address: ${cfg.subnet}`);
  const bits = subnet.ip.family === 4 ? 32 : 128;
  if (subnet.prefix > bits - 2)
    throw new RangeConfigError(`Network ${formatCIDR(subnet)} too small to allocate from`);
  if (hasHostBits(subnet)) {
    throw new RangeConfigError(
      `Network has host bits set. For a subnet mask of length ${subnet.prefix} the network address is ${formatIP(networkOf(subnet).ip)}`,
    );
  }
  const first = nextIP(subnet.ip);
  const gateway = parseAddrField('gateway', cfg.gateway) ?? first;
  // As the reference: while the start is checked, the range end is the configured one (if
  // any), so a start beyond the configured end is reported as the start's fault.
  const configuredEnd = parseAddrField('rangeEnd', cfg.rangeEnd);
  let rangeStart = parseAddrField('rangeStart', cfg.rangeStart);
  if (rangeStart) {
    if (!inRange(subnet, undefined, configuredEnd, rangeStart)) {
      throw new RangeConfigError(`RangeStart ${formatIP(rangeStart)} not in network ${formatCIDR(subnet)}`);
    }
  } else rangeStart = first;
  let rangeEnd = configuredEnd;
  if (rangeEnd) {
    if (!inRange(subnet, rangeStart, undefined, rangeEnd)) {
      throw new RangeConfigError(`RangeEnd ${formatIP(rangeEnd)} not in network ${formatCIDR(subnet)}`);
    }
  } else {
    // The last usable address: the IPv4 broadcast is excluded, IPv6 has none.
    const last = lastAddress(subnet);
    rangeEnd = subnet.ip.family === 4 ? prevIP(last) : last;
  }
  return { subnet, rangeStart, rangeEnd, gateway };
}

export function rangeContains(r: Range, ip: IP): boolean {
  return inRange(r.subnet, r.rangeStart, r.rangeEnd, ip);
}

export function rangeOverlaps(a: Range, b: Range): boolean {
  if (a.rangeStart.family !== b.rangeStart.family) return false;
  return (
    rangeContains(a, b.rangeStart) ||
    rangeContains(a, b.rangeEnd) ||
    rangeContains(b, a.rangeStart) ||
    rangeContains(b, a.rangeEnd)
  );
}

export function rangeString(r: Range): string {
  return `${formatIP(r.rangeStart)}-${formatIP(r.rangeEnd)}`;
}

export function rangeSetString(s: RangeSet): string {
  return s.map(rangeString).join(',');
}

/** The range of a set that holds the address, or undefined. */
export function rangeFor(s: RangeSet, ip: IP): Range | undefined {
  return s.find((r) => rangeContains(r, ip));
}

export function rangeSetContains(s: RangeSet, ip: IP): boolean {
  return rangeFor(s, ip) !== undefined;
}

export function rangeSetOverlaps(a: RangeSet, b: RangeSet): boolean {
  return a.some((r) => b.some((r1) => rangeOverlaps(r, r1)));
}

/** Validate a range set (Go's RangeSet.Canonicalize). */
export function canonicalizeRangeSet(cfg: readonly RangeConfig[]): Range[] {
  if (!Array.isArray(cfg) || cfg.length === 0) throw new RangeConfigError('empty range set');
  const out: Range[] = [];
  for (const [i, rc] of cfg.entries()) {
    if (typeof rc !== 'object' || rc === null || Array.isArray(rc)) {
      throw new RangeConfigError(`range ${i}: expected an object with "subnet", got ${JSON.stringify(rc)}`);
    }
    const r = canonicalizeRange(rc);
    const firstRange = out[0];
    if (firstRange && firstRange.rangeStart.family !== r.rangeStart.family)
      throw new RangeConfigError('mixed address families');
    out.push(r);
  }
  for (let i = 0; i < out.length - 1; i++) {
    for (let j = i + 1; j < out.length; j++) {
      const r1 = out[i] as Range;
      const r2 = out[j] as Range;
      if (rangeOverlaps(r1, r2))
        throw new RangeConfigError(`subnets ${rangeString(r1)} and ${rangeString(r2)} overlap`);
    }
  }
  return out;
}

/**
 * Validate every range set of a configuration: each set, then that no two sets overlap.
 * Messages as the reference's LoadIPAMConfig ("invalid range set N: …", "range set N
 * overlaps with M").
 */
export function canonicalizeRangeSets(sets: readonly (readonly RangeConfig[])[]): Range[][] {
  if (sets.length === 0) throw new RangeConfigError('no IP ranges specified');
  const out: Range[][] = [];
  for (const [i, s] of sets.entries()) {
    try {
      out.push(canonicalizeRangeSet(s));
    } catch (err) {
      throw new RangeConfigError(`invalid range set ${i}: ${(err as Error).message}`);
    }
  }
  for (let i = 0; i < out.length - 1; i++) {
    for (let j = i + 1; j < out.length; j++) {
      if (rangeSetOverlaps(out[i] as Range[], out[j] as Range[]))
        throw new RangeConfigError(`range set ${i} overlaps with ${j}`);
    }
  }
  return out;
}

/** Number of addresses the set can hand out (range sizes minus gateways inside them). */
export function rangeSetCapacity(s: RangeSet): bigint {
  let n = 0n;
  for (const r of s) {
    n += r.rangeEnd.value - r.rangeStart.value + 1n;
    if (rangeContains(r, r.gateway)) n -= 1n;
  }
  return n;
}
