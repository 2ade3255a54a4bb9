import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '@cni-internal/test-kit/random';
import {
  broadcastBytes,
  bytesToIp,
  ipToBytes,
  isIP,
  isIPv4,
  isIPv6,
  maskBytes,
  parseCidr,
  parseMac,
} from './ipaddr.js';

describe('isIP', () => {
  it('answers as node:net for valid and invalid text', () => {
    const samples = [
      '0.0.0.0',
      '10.0.0.1',
      '255.255.255.255',
      '256.0.0.1',
      '01.2.3.4',
      '1.2.3',
      '1.2.3.4.5',
      '1.2.3.4 ',
      '',
      ':',
      '::',
      '::1',
      '1::',
      ':::',
      '1:::2',
      '::1::',
      'fd00::1',
      '2001:db8::1:0:0:1',
      'fe80::1%eth0',
      'fe80::1%',
      'fe80::1%e th',
      '1:2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7::',
      '::2:3:4:5:6:7:8',
      '1::2:3:4:5:6:7:8',
      '::ffff:1.2.3.4',
      '::1.2.3.4',
      '1:2:3:4:5:6:1.2.3.4',
      '1:2:3:4:5:6:7:1.2.3.4',
      '::ffff:1.2.3',
      '12345::',
      'g::',
      ':1::',
      '1::2:',
      'abcd:ef01::ABCD',
      '1.2.3.4::',
    ];
    for (const s of samples) {
      expect([s, isIPv4(s)]).toEqual([s, net.isIPv4(s)]);
      expect([s, isIPv6(s)]).toEqual([s, net.isIPv6(s)]);
      expect([s, isIP(s)]).toEqual([s, net.isIP(s)]);
    }
  });
});

describe('isIPv4', () => {
  it('agrees with node:net on every dotted string of digits and near misses', () => {
    // Deterministic pseudo-random strings over the characters that matter.
    const rnd = seededRandom(12345);
    const chars = '0123456789.....255a -\n';
    const tried = [
      '0.0.0.0',
      '255.255.255.255',
      '256.1.1.1',
      '01.1.1.1',
      '1.1.1.01',
      '1.1.1',
      '1..1.1',
      '.1.1.1.1',
    ];
    for (let i = 0; i < 20000; i++) {
      let s = '';
      const len = rnd(18);
      for (let j = 0; j < len; j++) s += chars[rnd(chars.length)];
      tried.push(s);
    }
    for (let i = 0; i < 3000; i++) tried.push([rnd(300), rnd(300), rnd(300), rnd(300)].join('.'));
    for (const s of tried) expect([s, isIPv4(s)]).toEqual([s, net.isIPv4(s)]);
  });
});

describe('ip text', () => {
  it('round-trips addresses in the form Go prints them', () => {
    for (const ip of [
      '10.0.0.1',
      '::',
      '::1',
      'fd00::1',
      '2001:db8::1:0:0:1',
      'fe80::a:b:c:d',
      '1:2:3:4:5:6:7:8',
      '::ffff:1.2.3.4',
      '1::',
    ]) {
      expect(bytesToIp(ipToBytes(ip))).toBe(ip);
    }
    expect(bytesToIp(ipToBytes('2001:0db8:0000:0000:0001:0000:0000:0001'))).toBe('2001:db8::1:0:0:1');
    expect(bytesToIp(ipToBytes('fd00:0:0:1::'))).toBe('fd00:0:0:1::');
  });

  it('parses CIDRs and rejects bad ones naming the value', () => {
    expect(parseCidr('10.1.2.3/24')).toMatchObject({ family: 4, ip: '10.1.2.3', prefix: 24 });
    expect(parseCidr('fd00::/64')).toMatchObject({ family: 6, prefix: 64 });
    expect(parseCidr('10.1.2.3').prefix).toBe(32);
    expect(() => parseCidr('10.1.2.3/33')).toThrow('invalid CIDR "10.1.2.3/33": bad prefix length "33"');
    expect(() => parseCidr('fd00::/129')).toThrow(/bad prefix length "129"/);
    expect(() => parseCidr('10.1.2.3/x')).toThrow(/bad prefix length "x"/);
    expect(() => parseCidr('nope/8')).toThrow('invalid IP address "nope"');
  });

  it('masks and computes broadcasts', () => {
    expect(bytesToIp(maskBytes(ipToBytes('10.1.2.3'), 20))).toBe('10.1.0.0');
    expect(bytesToIp(maskBytes(ipToBytes('fd00::ff'), 120))).toBe('fd00::');
    expect(bytesToIp(broadcastBytes(ipToBytes('10.1.2.3'), 20))).toBe('10.1.15.255');
  });

  it('parses MACs', () => {
    expect(parseMac('0A:58:0a:00:00:01')).toEqual(Buffer.from([10, 0x58, 10, 0, 0, 1]));
    expect(() => parseMac('0a:58')).toThrow('invalid MAC address "0a:58"');
  });
});
