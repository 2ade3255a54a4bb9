import { formatIP } from '@cni/ip';
import { describe, expect, it } from 'vitest';
import {
  canonicalizeRange,
  canonicalizeRangeSet,
  canonicalizeRangeSets,
  rangeSetCapacity,
  rangeSetString,
} from './range.js';

const show = (cfg: Parameters<typeof canonicalizeRange>[0]) => {
  const r = canonicalizeRange(cfg);
  return {
    start: formatIP(r.rangeStart),
    end: formatIP(r.rangeEnd),
    gw: formatIP(r.gateway),
    prefix: r.subnet.prefix,
  };
};

describe('canonicalizeRange', () => {
  it('fills defaults: gateway .1, start .1, end broadcast-1 (v4) / last address (v6)', () => {
    expect(show({ subnet: '10.1.2.0/24' })).toEqual({
      start: '10.1.2.1',
      end: '10.1.2.254',
      gw: '10.1.2.1',
      prefix: 24,
    });
    expect(show({ subnet: '2001:db8:1::/64' })).toEqual({
      start: '2001:db8:1::1',
      end: '2001:db8:1:0:ffff:ffff:ffff:ffff',
      gw: '2001:db8:1::1',
      prefix: 64,
    });
    expect(show({ subnet: '10.0.0.0/30' })).toEqual({
      start: '10.0.0.1',
      end: '10.0.0.2',
      gw: '10.0.0.1',
      prefix: 30,
    });
    expect(show({ subnet: '2001:db8::/126' }).end).toBe('2001:db8::3');
  });
  it('keeps explicit values', () => {
    expect(
      show({ subnet: '10.1.2.0/24', rangeStart: '10.1.2.9', rangeEnd: '10.1.2.40', gateway: '10.1.2.254' }),
    ).toEqual({
      start: '10.1.2.9',
      end: '10.1.2.40',
      gw: '10.1.2.254',
      prefix: 24,
    });
  });
  it('rejects /31, /32, /127, /128 as too small', () => {
    expect(() => canonicalizeRange({ subnet: '10.0.0.0/31' })).toThrow(
      'Network 10.0.0.0/31 too small to allocate from',
    );
    expect(() => canonicalizeRange({ subnet: '10.0.0.1/32' })).toThrow(
      'Network 10.0.0.1/32 too small to allocate from',
    );
    expect(() => canonicalizeRange({ subnet: '2001:db8::/127' })).toThrow(
      'Network 2001:db8::/127 too small to allocate from',
    );
    expect(() => canonicalizeRange({ subnet: '2001:db8::/128' })).toThrow('too small to allocate from');
  });
  it('rejects host bits with the reference message', () => {
    expect(() => canonicalizeRange({ subnet: '10.1.2.3/24' })).toThrow(
      'Network has host bits set. For a subnet mask of length 24 the network address is 10.1.2.0',
    );
  });
  it('rejects start/end outside the subnet, end before start', () => {
    expect(() => canonicalizeRange({ subnet: '10.1.2.0/24', rangeStart: '10.1.3.1' })).toThrow(
      'RangeStart 10.1.3.1 not in network 10.1.2.0/24',
    );
    expect(() => canonicalizeRange({ subnet: '10.1.2.0/24', rangeEnd: '10.1.3.1' })).toThrow(
      'RangeEnd 10.1.3.1 not in network 10.1.2.0/24',
    );
    expect(() =>
      canonicalizeRange({ subnet: '10.1.2.0/24', rangeStart: '10.1.2.50', rangeEnd: '10.1.2.40' }),
    ).toThrow('RangeStart 10.1.2.50 not in network 10.1.2.0/24');
    expect(() =>
      canonicalizeRange({ subnet: '10.1.2.0/24', rangeStart: '10.1.2.50', rangeEnd: '10.1.3.40' }),
    ).toThrow('RangeEnd 10.1.3.40 not in network 10.1.2.0/24');
    expect(() => canonicalizeRange({ subnet: '10.1.2.0/24', rangeStart: '2001:db8::1' })).toThrow(
      'RangeStart 2001:db8::1 not in network',
    );
  });
  it('names the key and value of bad input', () => {
    expect(() => canonicalizeRange({ subnet: 'banana' })).toThrow('invalid CIDR address: banana');
    expect(() => canonicalizeRange({})).toThrow('subnet: missing');
    expect(() => canonicalizeRange({ subnet: '10.0.0.0/24', gateway: 'x.y' })).toThrow(
      'invalid IP address: x.y (gateway)',
    );
    expect(() => canonicalizeRange({ subnet: '10.0.0.0/24', rangeEnd: 7 as unknown as string })).toThrow(
      'rangeEnd: expected an IP address string, got 7',
    );
  });
});

describe('range sets', () => {
  it('rejects empty, mixed and overlapping sets', () => {
    expect(() => canonicalizeRangeSet([])).toThrow('empty range set');
    expect(() => canonicalizeRangeSet([{ subnet: '10.0.0.0/24' }, { subnet: '2001:db8::/64' }])).toThrow(
      'mixed address families',
    );
    expect(() => canonicalizeRangeSet([{ subnet: '10.0.0.0/24' }, { subnet: '10.0.0.0/16' }])).toThrow(
      'subnets 10.0.0.1-10.0.0.254 and 10.0.0.1-10.0.255.254 overlap',
    );
    // Same subnet, disjoint ranges: fine.
    const s = canonicalizeRangeSet([
      { subnet: '10.0.0.0/24', rangeStart: '10.0.0.10', rangeEnd: '10.0.0.20' },
      { subnet: '10.0.0.0/24', rangeStart: '10.0.0.30', rangeEnd: '10.0.0.40' },
    ]);
    expect(rangeSetString(s)).toBe('10.0.0.10-10.0.0.20,10.0.0.30-10.0.0.40');
  });
  it('rejects overlapping range sets and names them', () => {
    expect(() => canonicalizeRangeSets([])).toThrow('no IP ranges specified');
    expect(() => canonicalizeRangeSets([[{ subnet: '10.0.0.0/24' }], [{ subnet: '10.0.0.0/25' }]])).toThrow(
      'range set 0 overlaps with 1',
    );
    expect(() => canonicalizeRangeSets([[{ subnet: '10.0.0.0/24' }], [{ subnet: '10.0.0.0/31' }]])).toThrow(
      'invalid range set 1: Network 10.0.0.0/31 too small to allocate from',
    );
    expect(canonicalizeRangeSets([[{ subnet: '10.0.0.0/24' }], [{ subnet: '2001:db8::/64' }]])).toHaveLength(
      2,
    );
  });
  it('capacity excludes the gateway', () => {
    expect(rangeSetCapacity(canonicalizeRangeSet([{ subnet: '10.0.0.0/29' }]))).toBe(5n);
    expect(rangeSetCapacity(canonicalizeRangeSet([{ subnet: '10.0.0.0/29', gateway: '10.0.0.7' }]))).toBe(6n);
  });
});
