import { describe, expect, it } from 'vitest';
import {
  buildIpUdp,
  decodeMessage,
  encodeClasslessRoutes,
  encodeMessage,
  maskToPrefix,
  MsgType,
  msgType,
  newMessage,
  Opt,
  optIps,
  parseClasslessRoutes,
  parseIpUdp,
  parseStaticRoutes,
} from './packet.js';

describe('DHCP message codec', () => {
  it('round-trips header fields and options', () => {
    const m = newMessage({ xid: 0xdeadbeef, chaddr: '02:00:00:aa:bb:cc', flags: 0x8000, ciaddr: '10.0.0.5' });
    m.options.set(Opt.MSG_TYPE, Buffer.from([MsgType.REQUEST]));
    m.options.set(Opt.CLIENT_ID, Buffer.from('\0c1/net/eth0'));
    m.options.set(Opt.ROUTER, Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]));
    const b = encodeMessage(m);
    expect(b.length).toBe(300);
    expect(b.readUInt32BE(236)).toBe(0x63825363);
    const d = decodeMessage(b);
    expect(d).toBeDefined();
    expect(d?.xid).toBe(0xdeadbeef);
    expect(d?.flags).toBe(0x8000);
    expect(d?.ciaddr).toBe('10.0.0.5');
    expect(d?.chaddr).toBe('02:00:00:aa:bb:cc');
    expect(d && msgType(d)).toBe(MsgType.REQUEST);
    expect(d?.options.get(Opt.CLIENT_ID)?.toString()).toBe('\0c1/net/eth0');
    expect(d && optIps(d, Opt.ROUTER)).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it('splits options longer than 255 bytes and concatenates them back (RFC 3396)', () => {
    const m = newMessage({ xid: 1, chaddr: '02:00:00:00:00:01' });
    const long = Buffer.alloc(300, 7);
    m.options.set(Opt.CLASSLESS_ROUTES, long);
    expect(decodeMessage(encodeMessage(m))?.options.get(Opt.CLASSLESS_ROUTES)).toEqual(long);
  });

  it('rejects what is not DHCP', () => {
    expect(decodeMessage(Buffer.alloc(100))).toBeUndefined();
    expect(decodeMessage(Buffer.alloc(300))).toBeUndefined();
  });
});

describe('routes options', () => {
  it('option 121 (classless) parses and encodes', () => {
    const routes = [
      { dst: '0.0.0.0/0', router: '10.0.0.1' },
      { dst: '192.168.50.0/24', router: '10.0.0.254' },
      { dst: '10.99.0.0/16', router: '0.0.0.0' },
      { dst: '172.16.5.7/32', router: '10.0.0.9' },
    ];
    const enc = encodeClasslessRoutes(routes);
    expect([...enc.subarray(0, 5)]).toEqual([0, 10, 0, 0, 1]);
    expect(parseClasslessRoutes(enc)).toEqual(routes);
    expect(() => parseClasslessRoutes(Buffer.from([24, 10, 0]))).toThrow(/truncated/);
    expect(() => parseClasslessRoutes(Buffer.from([33, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/prefix length/);
  });

  it('option 33 uses classful masks', () => {
    const v = Buffer.from([
      10, 1, 0, 0, 10, 0, 0, 1, 172, 16, 0, 0, 10, 0, 0, 1, 192, 168, 3, 0, 10, 0, 0, 2,
    ]);
    expect(parseStaticRoutes(v)).toEqual([
      { dst: '10.1.0.0/8', router: '10.0.0.1' },
      { dst: '172.16.0.0/16', router: '10.0.0.1' },
      { dst: '192.168.3.0/24', router: '10.0.0.2' },
    ]);
  });

  it('netmask → prefix', () => {
    expect(maskToPrefix('255.255.255.0')).toBe(24);
    expect(maskToPrefix('255.255.0.0')).toBe(16);
    expect(maskToPrefix('255.255.255.255')).toBe(32);
    expect(maskToPrefix('0.0.0.0')).toBe(0);
    expect(maskToPrefix('255.0.255.0')).toBeUndefined();
  });
});

describe('IPv4/UDP framing', () => {
  it('builds a packet with valid checksums that parses back', () => {
    const payload = Buffer.from('hello dhcp');
    const p = buildIpUdp('0.0.0.0', '255.255.255.255', 68, 67, payload);
    expect(p.length).toBe(20 + 8 + payload.length);
    // IP header checksum verifies to 0
    let s = 0;
    for (let i = 0; i < 20; i += 2) s += p.readUInt16BE(i);
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    expect(s).toBe(0xffff);
    const u = parseIpUdp(p);
    expect(u).toEqual({ src: '0.0.0.0', dst: '255.255.255.255', sport: 68, dport: 67, payload });
  });

  it('ignores non-UDP and fragments', () => {
    const p = buildIpUdp('10.0.0.1', '10.0.0.2', 67, 68, Buffer.alloc(4));
    const tcp = Buffer.from(p);
    tcp[9] = 6;
    expect(parseIpUdp(tcp)).toBeUndefined();
    const frag = Buffer.from(p);
    frag.writeUInt16BE(0x2000, 6);
    expect(parseIpUdp(frag)).toBeUndefined();
  });
});
