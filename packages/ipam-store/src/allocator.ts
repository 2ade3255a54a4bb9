// The host-local allocator: one per range set, round-robin from last_reserved_ip, gateway
// skipped, wrapping across the ranges of the set (the Go reference's IPAllocator and
// RangeIter). Every method expects the caller to hold the store's lock.
import { formatIP, type IP, type IPNet, ipEqual, nextIP, parseIP } from '@cni/ip';
import {
  type Range,
  type RangeSet,
  rangeContains,
  rangeFor,
  rangeSetCapacity,
  rangeSetContains,
  rangeSetString,
} from './range.js';
import type { DiskStore, Reservation } from './store.js';

/** One allocated address: the host address with the subnet's prefix, and the gateway. */
export interface IPConfig {
  readonly address: IPNet;
  readonly gateway: IP;
}

/** An allocation that cannot be made; `message` is the reference's text. */
export class AllocationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AllocationError';
  }
}

/**
 * Candidate addresses in the reference's order. Starts just after `lastReserved` when it lies
 * in the set (else at the first range's start), walks to each range's end, continues at the
 * next range's start (cyclically), skips gateways and stops after one full cycle.
 */
export function* rangeIter(set: RangeSet, lastReserved?: IP): Generator<{ ip: IP; range: Range }> {
  if (set.length === 0) return;
  let idx = 0;
  let cur: IP | undefined;
  let start: IP | undefined;
  if (lastReserved && rangeSetContains(set, lastReserved)) {
    idx = set.findIndex((r) => rangeContains(r, lastReserved));
    cur = lastReserved;
  } else {
    start = (set[0] as Range).rangeStart;
  }
  for (;;) {
    let r = set[idx] as Range;
    if (cur === undefined) {
      cur = r.rangeStart;
      start = cur;
      if (ipEqual(cur, r.gateway)) continue;
      yield { ip: cur, range: r };
      continue;
    }
    if (ipEqual(cur, r.rangeEnd)) {
      idx = (idx + 1) % set.length;
      r = set[idx] as Range;
      cur = r.rangeStart;
    } else {
      cur = nextIP(cur);
    }
    if (start === undefined) start = cur;
    else if (ipEqual(cur, start)) return;
    if (ipEqual(cur, r.gateway)) continue;
    yield { ip: cur, range: r };
  }
}

export class IPAllocator {
  readonly rangeID: string;

  constructor(
    readonly rangeSet: RangeSet,
    readonly store: DiskStore,
    rangeIndex: number,
  ) {
    this.rangeID = String(rangeIndex);
  }

  /**
   * Reserve an address for `id`/`ifname`: exactly `requested` when given (error when it is
   * the gateway or taken), otherwise the next free one in round-robin order. Without a
   * requested address, a container+ifname that already holds an address of this set is an
   * error ("duplicate allocation is not allowed").
   *
   * `snapshot` is `store.reservations()` taken under the same lock hold, to share one
   * directory scan between the range sets of one ADD.
   */
  get(id: string, ifname: string, requested?: IP, snapshot?: readonly Reservation[]): IPConfig {
    const setText = () => rangeSetString(this.rangeSet);
    if (requested) {
      const r = rangeFor(this.rangeSet, requested);
      if (!r) throw new AllocationError(`${formatIP(requested)} not in range set ${setText()}`);
      if (ipEqual(requested, r.gateway))
        throw new AllocationError(`requested ip ${formatIP(requested)} is subnet's gateway`);
      if (!this.store.reserve(id, ifname, requested, this.rangeID)) {
        throw new AllocationError(
          `requested IP address ${formatIP(requested)} is not available in range set ${setText()}`,
        );
      }
      return { address: { ip: requested, prefix: r.subnet.prefix }, gateway: r.gateway };
    }

    // One pass over the directory gives both the duplicate check and the taken addresses.
    const match = `${id.trim()}\r\n${ifname}`;
    const legacy = id.trim();
    const taken = new Set<string>();
    const inSet = (ip: IP) => rangeSetContains(this.rangeSet, ip);
    const records = snapshot ? snapshot.filter((r) => inSet(r.ip)) : this.store.reservations(inSet);
    for (const res of records) {
      if (res.content === match || res.content === legacy) {
        throw new AllocationError(
          `${formatIP(res.ip)} has been allocated to ${id}, duplicate allocation is not allowed`,
        );
      }
      taken.add(formatIP(res.ip));
    }

    for (const { ip, range } of rangeIter(this.rangeSet, this.store.lastReservedIP(this.rangeID))) {
      if (taken.has(formatIP(ip))) continue;
      if (this.store.reserve(id, ifname, ip, this.rangeID)) {
        return { address: { ip, prefix: range.subnet.prefix }, gateway: range.gateway };
      }
    }
    throw new AllocationError(`no IP addresses available in range set: ${setText()}`);
  }

  /** Release what the container holds (in the whole network directory, as the reference). */
  release(id: string, ifname: string): IP[] {
    return this.store.releaseByID(id, ifname);
  }

  /** True when at least one address of the set is neither taken nor a gateway. */
  hasFree(): boolean {
    let used = 0n;
    for (const name of this.store.takenNames()) {
      const ip = parseIP(name);
      const r = ip && rangeFor(this.rangeSet, ip);
      if (ip && r && !ipEqual(ip, r.gateway)) used++;
    }
    return used < rangeSetCapacity(this.rangeSet);
  }
}
