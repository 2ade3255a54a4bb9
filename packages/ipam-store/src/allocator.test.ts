import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatCIDR, formatIP, parseIP } from '@cni/ip';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IPAllocator, rangeIter } from './allocator.js';
import { canonicalizeRangeSet, type RangeConfig } from './range.js';
import { DiskStore } from './store.js';

let dataDir: string;
let store: DiskStore;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'ipam-alloc-'));
  store = DiskStore.open('net1', dataDir);
  store.lock();
});
afterEach(() => {
  store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const ip = (s: string) => {
  const r = parseIP(s);
  if (!r) throw new Error(s);
  return r;
};
const netDir = () => join(dataDir, 'net1');

function setup(subnets: (string | RangeConfig)[], taken: Record<string, string> = {}, lastIP?: string) {
  for (const [addr, owner] of Object.entries(taken)) writeFileSync(join(netDir(), addr), owner);
  if (lastIP) writeFileSync(join(netDir(), 'last_reserved_ip.0'), lastIP);
  const set = canonicalizeRangeSet(subnets.map((s) => (typeof s === 'string' ? { subnet: s } : s)));
  return new IPAllocator(set, store, 0);
}

describe('round robin (the reference allocator cases)', () => {
  const cases: [string[], Record<string, string>, string | undefined, string][] = [
    [['10.0.0.0/29'], {}, undefined, '10.0.0.2'],
    [['2001:db8:1::0/64'], {}, undefined, '2001:db8:1::2'],
    [['10.0.0.0/30'], {}, undefined, '10.0.0.2'],
    [['10.0.0.0/29'], { '10.0.0.2': 'id' }, undefined, '10.0.0.3'],
    [['10.0.0.0/29'], {}, '10.0.0.5', '10.0.0.6'],
    [['10.0.0.0/29'], { '10.0.0.4': 'id', '10.0.0.5': 'id' }, '10.0.0.3', '10.0.0.6'],
    [['10.0.0.0/29'], { '10.0.0.6': 'id' }, '10.0.0.5', '10.0.0.2'],
    [['10.0.0.0/29'], { '10.0.0.2': 'id' }, '10.0.0.128', '10.0.0.3'],
    [
      ['10.0.0.0/29'],
      { '10.0.0.2': 'id', '10.0.0.4': 'id', '10.0.0.5': 'id', '10.0.0.6': 'id' },
      '10.0.0.3',
      '10.0.0.3',
    ],
    [['10.0.0.0/30', '10.0.1.0/30'], {}, undefined, '10.0.0.2'],
    [['10.0.0.0/30', '10.0.1.0/30'], {}, '10.0.0.2', '10.0.1.2'],
    [['10.0.0.0/30', '10.0.1.0/30', '10.0.2.0/30'], {}, '10.0.2.2', '10.0.0.2'],
  ];
  it.each(cases.map((c, i) => [i, ...c] as const))(
    'case %i: %j taken %j last %s -> %s',
    (_i, subnets, taken, last, want) => {
      const a = setup(subnets, taken, last);
      expect(formatIP(a.get('c1', 'eth0').address.ip)).toBe(want);
    },
  );
});

describe('IPAllocator.get', () => {
  it('never hands out the broadcast address and stops at the range end', () => {
    const a = setup(['192.168.1.0/29']);
    const got = [];
    for (let i = 2; i < 7; i++) got.push(formatCIDR(a.get(`c${i}`, 'eth0').address));
    expect(got).toEqual([
      '192.168.1.2/29',
      '192.168.1.3/29',
      '192.168.1.4/29',
      '192.168.1.5/29',
      '192.168.1.6/29',
    ]);
    expect(() => a.get('c7', 'eth0')).toThrow(
      'no IP addresses available in range set: 192.168.1.1-192.168.1.6',
    );
  });
  it('allocates the last address of a /30 and then is exhausted', () => {
    const a = setup(['10.0.0.0/30']);
    expect(formatIP(a.get('c1', 'eth0').address.ip)).toBe('10.0.0.2');
    expect(() => a.get('c2', 'eth0')).toThrow('no IP addresses available in range set: 10.0.0.1-10.0.0.2');
  });
  it('allocates the very last IPv6 address', () => {
    const a = setup(['2001:db8::/126']);
    expect(formatIP(a.get('c1', 'eth0').address.ip)).toBe('2001:db8::2');
    expect(formatIP(a.get('c2', 'eth0').address.ip)).toBe('2001:db8::3');
    expect(() => a.get('c3', 'eth0')).toThrow(
      'no IP addresses available in range set: 2001:db8::1-2001:db8::3',
    );
  });
  it('respects rangeEnd and a gateway inside the range', () => {
    const a = setup([
      { subnet: '10.0.0.0/24', rangeStart: '10.0.0.10', rangeEnd: '10.0.0.12', gateway: '10.0.0.11' },
    ]);
    expect(formatIP(a.get('c1', 'eth0').address.ip)).toBe('10.0.0.10');
    expect(formatIP(a.get('c2', 'eth0').address.ip)).toBe('10.0.0.12');
    expect(() => a.get('c3', 'eth0')).toThrow('no IP addresses available in range set: 10.0.0.10-10.0.0.12');
  });
  it('wraps around across ranges and reports the whole set when exhausted', () => {
    const a = setup(['10.0.0.0/30', '10.0.1.0/30'], {}, '10.0.1.2');
    expect(formatIP(a.get('c1', 'eth0').address.ip)).toBe('10.0.0.2');
    expect(formatIP(a.get('c2', 'eth0').address.ip)).toBe('10.0.1.2');
    expect(() => a.get('c3', 'eth0')).toThrow(
      'no IP addresses available in range set: 10.0.0.1-10.0.0.2,10.0.1.1-10.0.1.2',
    );
  });
  it('returns the gateway and the subnet prefix', () => {
    const a = setup([{ subnet: '10.0.0.0/24', gateway: '10.0.0.254' }]);
    const r = a.get('c1', 'eth0');
    expect(formatCIDR(r.address)).toBe('10.0.0.1/24');
    expect(formatIP(r.gateway)).toBe('10.0.0.254');
  });
  it('reserves a requested address, refusing the gateway, taken and out-of-set ones', () => {
    const a = setup(['192.168.1.0/29']);
    expect(formatIP(a.get('c1', 'eth0', ip('192.168.1.5')).address.ip)).toBe('192.168.1.5');
    expect(() => a.get('c2', 'eth0', ip('192.168.1.5'))).toThrow(
      'requested IP address 192.168.1.5 is not available in range set 192.168.1.1-192.168.1.6',
    );
    expect(() => a.get('c3', 'eth0', ip('192.168.1.1'))).toThrow(
      "requested ip 192.168.1.1 is subnet's gateway",
    );
    expect(() => a.get('c3', 'eth0', ip('192.168.1.7'))).toThrow(
      '192.168.1.7 not in range set 192.168.1.1-192.168.1.6',
    );
  });
  it('rejects a duplicate allocation for the same container and ifname (and legacy id-only)', () => {
    const a = setup(['10.0.0.0/24']);
    a.get('c1', 'eth0');
    expect(() => a.get('c1', 'eth0')).toThrow(
      '10.0.0.2 has been allocated to c1, duplicate allocation is not allowed',
    );
    expect(formatIP(a.get('c1', 'eth1').address.ip)).toBe('10.0.0.3');
    writeFileSync(join(netDir(), '10.0.0.50'), 'legacy');
    expect(() => a.get('legacy', 'eth0')).toThrow('10.0.0.50 has been allocated to legacy');
  });
  it('writes the reference file format', () => {
    const a = setup(['10.0.0.0/24']);
    a.get('  c1 ', 'eth0');
    expect(readFileSync(join(netDir(), '10.0.0.2'), 'utf8')).toBe('c1\r\neth0');
    expect(statSync(join(netDir(), '10.0.0.2')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(netDir(), 'last_reserved_ip.0'), 'utf8')).toBe('10.0.0.2');
    expect(statSync(netDir()).mode & 0o777).toBe(0o755);
    expect(readdirSync(netDir()).sort()).toEqual(['10.0.0.2', 'last_reserved_ip.0', 'lock']);
  });
  it('treats corrupted and foreign entries as taken, never as free, and never crashes', () => {
    mkdirSync(join(netDir(), '10.0.0.2'));
    writeFileSync(join(netDir(), '10.0.0.3'), '');
    writeFileSync(join(netDir(), '10.0.0.4'), Buffer.from([0xff, 0x00, 0xfe]));
    writeFileSync(join(netDir(), 'garbage'), 'xx');
    mkdirSync(join(netDir(), 'subdir'));
    writeFileSync(join(netDir(), 'last_reserved_ip.0'), 'not an ip');
    const a = setup(['10.0.0.0/24']);
    expect(formatIP(a.get('c1', 'eth0').address.ip)).toBe('10.0.0.5');
    expect(() => a.get('c2', 'eth0', ip('10.0.0.2'))).toThrow(
      'requested IP address 10.0.0.2 is not available',
    );
    expect(a.release('c1', 'eth0').map(formatIP)).toEqual(['10.0.0.5']);
  });
  it('still allocates when last_reserved_ip is not a file', () => {
    mkdirSync(join(netDir(), 'last_reserved_ip.0'));
    const a = setup(['10.0.0.0/24']);
    expect(formatIP(a.get('c1', 'eth0').address.ip)).toBe('10.0.0.2');
    expect(formatIP(a.get('c2', 'eth0').address.ip)).toBe('10.0.0.3');
    expect(readdirSync(netDir()).sort()).toEqual(['10.0.0.2', '10.0.0.3', 'last_reserved_ip.0', 'lock']);
  });
  it('treats a non-canonical IPv6 name as taken', () => {
    writeFileSync(join(netDir(), '2001:DB8:0::2'), 'other\r\neth0');
    const a = setup(['2001:db8::/64']);
    expect(formatIP(a.get('c1', 'eth0').address.ip)).toBe('2001:db8::3');
  });
  it('hasFree follows exhaustion', () => {
    const a = setup(['10.0.0.0/30']);
    expect(a.hasFree()).toBe(true);
    a.get('c1', 'eth0');
    expect(a.hasFree()).toBe(false);
  });
});

describe('rangeIter', () => {
  const set = canonicalizeRangeSet([{ subnet: '192.168.1.0/29' }]);
  const all = (last?: string) => [...rangeIter(set, last ? ip(last) : undefined)].map((c) => formatIP(c.ip));
  it('loops from the beginning, the end and the middle, skipping the gateway', () => {
    expect(all()).toEqual(['192.168.1.2', '192.168.1.3', '192.168.1.4', '192.168.1.5', '192.168.1.6']);
    expect(all('192.168.1.6')).toEqual([
      '192.168.1.2',
      '192.168.1.3',
      '192.168.1.4',
      '192.168.1.5',
      '192.168.1.6',
    ]);
    expect(all('192.168.1.3')).toEqual([
      '192.168.1.4',
      '192.168.1.5',
      '192.168.1.6',
      '192.168.1.2',
      '192.168.1.3',
    ]);
  });
  it('ends when the only address is the gateway', () => {
    const s = canonicalizeRangeSet([{ subnet: '10.0.0.0/24', rangeStart: '10.0.0.1', rangeEnd: '10.0.0.1' }]);
    expect([...rangeIter(s)]).toEqual([]);
  });
});
