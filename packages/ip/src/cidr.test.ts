import { describe, expect, it } from 'vitest';
import {
  addressCount,
  canonicalCIDR,
  compareIP,
  containsIP,
  formatCIDR,
  formatIP,
  hasHostBits,
  ipEqual,
  lastAddress,
  networkOf,
  nextIP,
  overlaps,
  parseCIDR,
  parseIP,
  parseIPOrCIDR,
  prevIP,
} from './cidr.js';

const ip = (s: string) => {
  const r = parseIP(s);
  if (!r) throw new Error(`bad test ip ${s}`);
  return r;
};
const net = (s: string) => {
  const r = parseCIDR(s);
  if (!r) throw new Error(`bad test cidr ${s}`);
  return r;
};

describe('parseIP', () => {
  it('parses IPv4 and IPv6', () => {
    expect(parseIP('10.1.2.3')).toEqual({ family: 4, value: 0x0a010203n });
    expect(parseIP('::1')).toEqual({ family: 6, value: 1n });
    expect(parseIP('2001:DB8::1')?.family).toBe(6);
  });
  it('rejects what Go rejects', () => {
    for (const bad of [
      '',
      '10.1.2',
      '10.1.2.256',
      '010.1.2.3',
      '0x0a.0.0.1',
      '10.0.0.1/24',
      'fe80::1%eth0',
      'abc',
      '1::2::3',
      ' 10.0.0.1',
    ]) {
      expect(parseIP(bad), bad).toBeUndefined();
    }
  });
  it('maps IPv4-mapped IPv6 to IPv4 and keeps ::a.b.c.d as IPv6', () => {
    expect(parseIP('::ffff:10.0.0.1')).toEqual({ family: 4, value: 0x0a000001n });
    const compat = ip('::1.2.3.4');
    expect(compat.family).toBe(6);
    expect(formatIP(compat)).toBe('::102:304');
  });
});

describe('formatIP', () => {
  it('prints canonical text', () => {
    expect(formatIP(ip('10.0.0.255'))).toBe('10.0.0.255');
    expect(formatIP(ip('2001:0db8:0000:0000:0001:0000:0000:0001'))).toBe('2001:db8::1:0:0:1');
    expect(formatIP(ip('2001:db8:0:1:1:1:1:1'))).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIP(ip('0::0'))).toBe('::');
    expect(formatIP(ip('FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF'))).toBe(
      'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    );
  });
});

describe('parseCIDR / parseIPOrCIDR', () => {
  it('keeps host bits and the prefix', () => {
    expect(formatCIDR(net('10.0.0.5/24'))).toBe('10.0.0.5/24');
    expect(canonicalCIDR(net('10.0.0.5/24'))).toBe('10.0.0.0/24');
    expect(canonicalCIDR(net('2001:db8::5/64'))).toBe('2001:db8::/64');
  });
  it('rejects bad prefixes', () => {
    for (const bad of [
      '10.0.0.0/33',
      '10.0.0.0/',
      '10.0.0.0/-1',
      '::/129',
      '10.0.0.0',
      'x/24',
      '10.0.0.0/2 4',
    ]) {
      expect(parseCIDR(bad), bad).toBeUndefined();
    }
  });
  it('accepts a bare address or address/prefix', () => {
    expect(parseIPOrCIDR('10.0.0.5')).toEqual({ ip: { family: 4, value: 0x0a000005n } });
    expect(parseIPOrCIDR('10.0.0.5/24')).toEqual({ ip: { family: 4, value: 0x0a000005n }, prefix: 24 });
    expect(parseIPOrCIDR('nope')).toBeUndefined();
  });
});

describe('arithmetic', () => {
  it('next/prev cross octet boundaries and wrap', () => {
    expect(formatIP(nextIP(ip('10.0.0.255')))).toBe('10.0.1.0');
    expect(formatIP(prevIP(ip('10.0.1.0')))).toBe('10.0.0.255');
    expect(formatIP(nextIP(ip('255.255.255.255')))).toBe('0.0.0.0');
    expect(formatIP(prevIP(ip('0.0.0.0')))).toBe('255.255.255.255');
    expect(formatIP(nextIP(ip('2001:db8::ffff')))).toBe('2001:db8::1:0');
    expect(formatIP(nextIP(ip('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')))).toBe('::');
  });
  it('network and last address', () => {
    expect(formatIP(networkOf(net('10.1.2.3/16')).ip)).toBe('10.1.0.0');
    expect(formatIP(lastAddress(net('10.1.2.3/16')))).toBe('10.1.255.255');
    expect(formatIP(lastAddress(net('10.0.0.0/30')))).toBe('10.0.0.3');
    expect(formatIP(lastAddress(net('2001:db8::/64')))).toBe('2001:db8::ffff:ffff:ffff:ffff');
    expect(formatIP(lastAddress(net('0.0.0.0/0')))).toBe('255.255.255.255');
    expect(addressCount(net('10.0.0.0/30'))).toBe(4n);
  });
  it('contains and overlap, by family', () => {
    expect(containsIP(net('10.0.0.0/24'), ip('10.0.0.255'))).toBe(true);
    expect(containsIP(net('10.0.0.0/24'), ip('10.0.1.0'))).toBe(false);
    expect(containsIP(net('::/0'), ip('10.0.0.1'))).toBe(false);
    expect(overlaps(net('10.0.0.0/16'), net('10.0.5.0/24'))).toBe(true);
    expect(overlaps(net('10.0.5.0/24'), net('10.0.0.0/16'))).toBe(true);
    expect(overlaps(net('10.0.0.0/24'), net('10.0.1.0/24'))).toBe(false);
    expect(overlaps(net('::/0'), net('10.0.0.0/8'))).toBe(false);
  });
  it('host bits', () => {
    expect(hasHostBits(net('10.0.0.1/24'))).toBe(true);
    expect(hasHostBits(net('10.0.0.0/24'))).toBe(false);
    expect(hasHostBits(net('2001:db8::1/64'))).toBe(true);
  });
  it('compare returns -2 on family mismatch like Go ip.Cmp', () => {
    expect(compareIP(ip('10.0.0.1'), ip('10.0.0.2'))).toBe(-1);
    expect(compareIP(ip('10.0.0.2'), ip('10.0.0.1'))).toBe(1);
    expect(compareIP(ip('10.0.0.1'), ip('10.0.0.1'))).toBe(0);
    expect(compareIP(ip('10.0.0.1'), ip('::1'))).toBe(-2);
    expect(ipEqual(ip('::ffff:10.0.0.1'), ip('10.0.0.1'))).toBe(true);
    expect(ipEqual(undefined, ip('10.0.0.1'))).toBe(false);
  });
});
