import { describe, expect, it } from 'vitest';
import { CniError } from './errors.js';
import { convertResult, formatResult, parseResult } from './result.js';
import { SPEC_VERSIONS } from './version.js';

type Form = 'v02' | 'v04' | 'v1x';
type Level = 'A' | 'B' | 'C';
type Obj = Record<string, unknown>;

const dnsFull = {
  nameservers: ['10.1.0.53', 'fd00::53'],
  domain: 'example.com',
  search: ['example.com', 'example.org'],
  options: ['ndots:2'],
};

// The same content written in each version's form. A: what 0.1/0.2 can carry; B: what
// 0.3.x/0.4.0 can carry; C: everything 1.1.0 can carry. A lower form of richer content is the
// Go converter's lossy output.
const FORMS: Record<Level, Record<Form, Obj>> = {
  A: {
    v02: {
      ip4: {
        ip: '10.1.0.5/24',
        gateway: '10.1.0.1',
        routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }, { dst: '192.168.0.0/16' }],
      },
      ip6: { ip: 'fd00::5/64', gateway: 'fd00::1', routes: [{ dst: '::/0', gw: 'fd00::1' }] },
      dns: dnsFull,
    },
    v04: {
      ips: [
        { version: '4', address: '10.1.0.5/24', gateway: '10.1.0.1' },
        { version: '6', address: 'fd00::5/64', gateway: 'fd00::1' },
      ],
      routes: [
        { dst: '0.0.0.0/0', gw: '10.1.0.1' },
        { dst: '192.168.0.0/16' },
        { dst: '::/0', gw: 'fd00::1' },
      ],
      dns: dnsFull,
    },
    v1x: {
      ips: [
        { address: '10.1.0.5/24', gateway: '10.1.0.1' },
        { address: 'fd00::5/64', gateway: 'fd00::1' },
      ],
      routes: [
        { dst: '0.0.0.0/0', gw: '10.1.0.1' },
        { dst: '192.168.0.0/16' },
        { dst: '::/0', gw: 'fd00::1' },
      ],
      dns: dnsFull,
    },
  },
  B: {
    v02: {
      ip4: { ip: '10.1.0.5/24', gateway: '10.1.0.1', routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }] },
      ip6: { ip: 'fd00::5/64', routes: [{ dst: 'fd01::/64' }] },
      dns: { nameservers: ['10.1.0.53'] },
    },
    v04: {
      interfaces: [
        { name: 'eth0', mac: 'aa:bb:cc:dd:ee:ff', sandbox: '/var/run/netns/x' },
        { name: 'veth1' },
      ],
      ips: [
        { version: '4', interface: 0, address: '10.1.0.5/24', gateway: '10.1.0.1' },
        { version: '6', interface: 0, address: 'fd00::5/64' },
        { version: '4', interface: 1, address: '10.2.0.5/16' },
      ],
      routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1', mtu: 1400, table: 100, scope: 0 }, { dst: 'fd01::/64' }],
      dns: { nameservers: ['10.1.0.53'] },
    },
    v1x: {
      interfaces: [
        { name: 'eth0', mac: 'aa:bb:cc:dd:ee:ff', sandbox: '/var/run/netns/x' },
        { name: 'veth1' },
      ],
      ips: [
        { interface: 0, address: '10.1.0.5/24', gateway: '10.1.0.1' },
        { interface: 0, address: 'fd00::5/64' },
        { interface: 1, address: '10.2.0.5/16' },
      ],
      routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1', mtu: 1400, table: 100, scope: 0 }, { dst: 'fd01::/64' }],
      dns: { nameservers: ['10.1.0.53'] },
    },
  },
  C: {
    v02: {
      ip4: { ip: '10.1.0.5/24', gateway: '10.1.0.1', routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }] },
      ip6: { ip: 'fd00::5/64', routes: [{ dst: 'fd01::/64' }] },
      dns: {},
    },
    v04: {
      interfaces: [
        { name: 'eth0', mac: 'aa:bb:cc:dd:ee:ff', sandbox: '/var/run/netns/x' },
        { name: 'vhost0' },
      ],
      ips: [
        { version: '4', interface: 0, address: '10.1.0.5/24', gateway: '10.1.0.1' },
        { version: '6', interface: 0, address: 'fd00::5/64' },
      ],
      routes: [
        { dst: '0.0.0.0/0', gw: '10.1.0.1', mtu: 1400, advmss: 1360, priority: 10, table: 0, scope: 253 },
        { dst: 'fd01::/64', scope: 0 },
      ],
      dns: {},
    },
    v1x: {
      interfaces: [
        { name: 'eth0', mac: 'aa:bb:cc:dd:ee:ff', mtu: 9000, sandbox: '/var/run/netns/x' },
        { name: 'vhost0', socketPath: '/run/vhost.sock', pciID: '0000:00:01.0' },
      ],
      ips: [
        { interface: 0, address: '10.1.0.5/24', gateway: '10.1.0.1' },
        { interface: 0, address: 'fd00::5/64' },
      ],
      routes: [
        { dst: '0.0.0.0/0', gw: '10.1.0.1', mtu: 1400, advmss: 1360, priority: 10, table: 0, scope: 253 },
        { dst: 'fd01::/64', scope: 0 },
      ],
    },
  },
};

const formOf = (v: string): Form => (v < '0.3.0' ? 'v02' : v < '1.0.0' ? 'v04' : 'v1x');
const levelOf = (v: string): Level => (v < '0.3.0' ? 'A' : v < '1.0.0' ? 'B' : 'C');
const rank: Record<Level, number> = { A: 0, B: 1, C: 2 };
const inVersion = (o: Obj, v: string): Obj => ({ cniVersion: v, ...o });

describe('conversion matrix: every ordered pair of spec versions', () => {
  for (const from of SPEC_VERSIONS) {
    for (const to of SPEC_VERSIONS) {
      const level = levelOf(from);
      const lossless = rank[level] <= rank[levelOf(to)];
      it(`${from} → ${to}${lossless ? ' (and back)' : ' (lossy)'}`, () => {
        const source = inVersion(FORMS[level][formOf(from)], from);
        const converted = convertResult(parseResult(JSON.stringify(source)), to);
        expect(converted).toEqual(inVersion(FORMS[level][formOf(to)], to));
        // the printed form is that object, 4-space indented
        expect(formatResult(parseResult(source), to)).toBe(JSON.stringify(converted, null, 4));
        if (lossless) {
          expect(convertResult(parseResult(converted), from)).toEqual(source);
        }
      });
    }
  }
});

describe('serialisation (Go field order and omission)', () => {
  const r = parseResult(inVersion(FORMS.C.v1x, '1.1.0'));

  it('1.x: keys sorted at every level (Go marshals through a map), empty dns omitted', () => {
    expect(formatResult(r, '1.1.0')).toBe(`{
    "cniVersion": "1.1.0",
    "interfaces": [
        {
            "mac": "aa:bb:cc:dd:ee:ff",
            "mtu": 9000,
            "name": "eth0",
            "sandbox": "/var/run/netns/x"
        },
        {
            "name": "vhost0",
            "pciID": "0000:00:01.0",
            "socketPath": "/run/vhost.sock"
        }
    ],
    "ips": [
        {
            "address": "10.1.0.5/24",
            "gateway": "10.1.0.1",
            "interface": 0
        },
        {
            "address": "fd00::5/64",
            "interface": 0
        }
    ],
    "routes": [
        {
            "advmss": 1360,
            "dst": "0.0.0.0/0",
            "gw": "10.1.0.1",
            "mtu": 1400,
            "priority": 10,
            "scope": 253,
            "table": 0
        },
        {
            "dst": "fd01::/64",
            "scope": 0
        }
    ]
}`);
  });

  it('0.4.0: struct order, version first in ips, "dns": {} always printed', () => {
    expect(formatResult(r, '0.4.0')).toBe(`{
    "cniVersion": "0.4.0",
    "interfaces": [
        {
            "name": "eth0",
            "mac": "aa:bb:cc:dd:ee:ff",
            "sandbox": "/var/run/netns/x"
        },
        {
            "name": "vhost0"
        }
    ],
    "ips": [
        {
            "version": "4",
            "interface": 0,
            "address": "10.1.0.5/24",
            "gateway": "10.1.0.1"
        },
        {
            "version": "6",
            "interface": 0,
            "address": "fd00::5/64"
        }
    ],
    "routes": [
        {
            "dst": "0.0.0.0/0",
            "gw": "10.1.0.1",
            "mtu": 1400,
            "advmss": 1360,
            "priority": 10,
            "table": 0,
            "scope": 253
        },
        {
            "dst": "fd01::/64",
            "scope": 0
        }
    ],
    "dns": {}
}`);
  });

  it('0.2.0: ip4, ip6, dns in struct order; dns fields in struct order', () => {
    const a = parseResult(inVersion(FORMS.A.v1x, '1.0.0'));
    const text = formatResult(a, '0.2.0');
    expect(Object.keys(JSON.parse(text))).toEqual(['cniVersion', 'ip4', 'ip6', 'dns']);
    expect(Object.keys(JSON.parse(text).dns)).toEqual(['nameservers', 'domain', 'search', 'options']);
    expect(Object.keys(JSON.parse(formatResult(a, '1.1.0')).dns)).toEqual([
      'domain',
      'nameservers',
      'options',
      'search',
    ]);
    expect(text.endsWith('\n')).toBe(false);
  });

  it('a 1.x result with an empty dns omits it; 0.x prints {}', () => {
    const x = parseResult({ cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/8' }], dns: {} });
    expect(convertResult(x, '1.0.0')).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/8' }] });
    expect(convertResult(x, '0.3.1')).toEqual({
      cniVersion: '0.3.1',
      ips: [{ version: '4', address: '10.0.0.2/8' }],
      dns: {},
    });
    expect(convertResult(x, '0.1.0')).toEqual({ cniVersion: '0.1.0', ip4: { ip: '10.0.0.2/8' }, dns: {} });
  });

  it("target '' is 0.1.0 without a cniVersion key (Go's version-less config)", () => {
    const x = parseResult({ cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/8' }] });
    expect(convertResult(x, '')).toEqual({ ip4: { ip: '10.0.0.2/8' }, dns: {} });
  });

  it('escapes <, > and & like Go', () => {
    const x = parseResult({ cniVersion: '1.0.0', interfaces: [{ name: 'a<b>&c' }] });
    expect(formatResult(x, '1.0.0')).toContain('"a\\u003cb\\u003e\\u0026c"');
  });
});

describe('0.x → 0.2 conversion rules', () => {
  it('takes the first address of each family; routes go by dst family, only when that family exists', () => {
    const x = parseResult({
      cniVersion: '0.4.0',
      ips: [
        { version: '4', address: '10.0.0.2/8' },
        { version: '4', address: '10.0.0.3/8' },
      ],
      routes: [{ dst: '0.0.0.0/0', gw: '10.0.0.1', mtu: 1400 }, { dst: '::/0' }],
    });
    expect(convertResult(x, '0.2.0')).toEqual({
      cniVersion: '0.2.0',
      ip4: { ip: '10.0.0.2/8', routes: [{ dst: '0.0.0.0/0', gw: '10.0.0.1' }] },
      dns: {},
    });
  });

  it('no address of either family: CniError "cannot convert: no valid IP addresses"', () => {
    const x = parseResult({ cniVersion: '1.0.0', interfaces: [{ name: 'eth0' }] });
    for (const v of ['0.1.0', '0.2.0', '']) {
      expect(() => convertResult(x, v)).toThrowError(CniError);
      expect(() => convertResult(x, v)).toThrow('cannot convert: no valid IP addresses');
    }
    // richer versions do not need an address
    expect(convertResult(x, '0.3.0')).toEqual({
      cniVersion: '0.3.0',
      interfaces: [{ name: 'eth0' }],
      dns: {},
    });
  });

  it('computes ips[].version from the address family, whatever the input said', () => {
    const x = parseResult({ cniVersion: '0.3.1', ips: [{ version: '6', address: '10.0.0.2/8' }] });
    expect(convertResult(x, '0.4.0')).toEqual({
      cniVersion: '0.4.0',
      ips: [{ version: '4', address: '10.0.0.2/8' }],
      dns: {},
    });
  });
});

describe('parseResult', () => {
  it('missing cniVersion takes the default, else 0.1.0', () => {
    expect(parseResult({ ips: [{ address: '10.0.0.2/8' }] }, '1.0.0')).toEqual({
      cniVersion: '1.0.0',
      ips: [{ address: '10.0.0.2/8' }],
    });
    expect(parseResult({ cniVersion: '', ip4: { ip: '10.0.0.2/8' } })).toEqual({
      cniVersion: '0.1.0',
      ips: [{ address: '10.0.0.2/8' }],
    });
  });

  it('accepts text, bytes and objects; JSON null is an empty result', () => {
    const text = '{"cniVersion":"1.1.0","ips":[{"address":"10.0.0.2/8"}]}';
    expect(parseResult(text)).toEqual(parseResult(Buffer.from(text)));
    expect(parseResult(text)).toEqual(parseResult(JSON.parse(text)));
    expect(parseResult('null', '0.4.0')).toEqual({ cniVersion: '0.4.0' });
  });

  it('matches keys case-insensitively like Go, preferring the exact key', () => {
    expect(
      parseResult({ CNIVERSION: '1.0.0', IPs: [{ Address: '10.0.0.2/8', GATEWAY: '10.0.0.1' }] }),
    ).toEqual({
      cniVersion: '1.0.0',
      ips: [{ address: '10.0.0.2/8', gateway: '10.0.0.1' }],
    });
    expect(parseResult({ cniVersion: '1.0.0', CNIVersion: '0.4.0' }).cniVersion).toBe('1.0.0');
  });

  it('normalises addresses like Go net.IP (lower-case compressed IPv6, mapped IPv4)', () => {
    const x = parseResult({
      cniVersion: '1.0.0',
      ips: [
        { address: 'FD00:0:0:0:0:0:0:5/64', gateway: 'FD00::0001' },
        { address: '::ffff:10.0.0.2/104' },
        { address: '2001:db8:0:0:1:0:0:1/64' },
      ],
      routes: [{ dst: '0:0:0:0:0:0:0:0/0', gw: 'fe80:0000::1' }],
    });
    expect(x.ips).toEqual([
      { address: 'fd00::5/64', gateway: 'fd00::1' },
      { address: '10.0.0.2/8' },
      { address: '2001:db8::1:0:0:1/64' },
    ]);
    expect(x.routes).toEqual([{ dst: '::/0', gw: 'fe80::1' }]);
  });

  it('keeps table and scope 0, drops zero mtu/advmss/priority', () => {
    const x = parseResult({
      cniVersion: '1.1.0',
      routes: [{ dst: '10.0.0.0/8', mtu: 0, advmss: 0, priority: 0, table: 0, scope: 0 }],
    });
    expect(x.routes).toEqual([{ dst: '10.0.0.0/8', table: 0, scope: 0 }]);
  });

  it('0.x interfaces carry only name, mac and sandbox', () => {
    const x = parseResult({
      cniVersion: '0.4.0',
      interfaces: [{ name: 'e', mtu: 1500, socketPath: '/s', pciID: 'p' }],
    });
    expect(x.interfaces).toEqual([{ name: 'e' }]);
  });

  const bad: [string, unknown, number, RegExp][] = [
    ['invalid JSON', '{"cniVersion":', 6, /failed to decode result/],
    ['empty input', '', 6, /unexpected end of JSON input/],
    ['a non-object', '[1]', 6, /must be an object, got array/],
    ['an unknown version', { cniVersion: '2.0.0' }, 1, /unsupported CNI result version "2.0.0"/],
    [
      'a bad address',
      { cniVersion: '1.0.0', ips: [{ address: '10.0.0.300/8' }] },
      6,
      /"ips\[0\]\.address": invalid CIDR address: 10\.0\.0\.300\/8/,
    ],
    [
      'an address without prefix',
      { cniVersion: '1.0.0', ips: [{ address: '10.0.0.3' }] },
      6,
      /invalid CIDR address/,
    ],
    [
      'a missing address',
      { cniVersion: '1.0.0', ips: [{ gateway: '10.0.0.1' }] },
      6,
      /"ips\[0\]\.address" is missing/,
    ],
    [
      'a bad gateway',
      { cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/8', gateway: 'x' }] },
      6,
      /invalid IP address: x/,
    ],
    [
      'a bad route dst',
      { cniVersion: '0.4.0', routes: [{ dst: 'default' }] },
      6,
      /"routes\[0\]\.dst": invalid CIDR address: default/,
    ],
    [
      'a string mtu',
      { cniVersion: '1.1.0', interfaces: [{ name: 'e', mtu: '1500' }] },
      6,
      /"interfaces\[0\]\.mtu" must be an integer, got string "1500"/,
    ],
    [
      'a fractional table',
      { cniVersion: '1.1.0', routes: [{ dst: '10.0.0.0/8', table: 1.5 }] },
      6,
      /"routes\[0\]\.table" must be an integer/,
    ],
    ['ips not an array', { cniVersion: '1.1.0', ips: {} }, 6, /"ips" must be an array, got object/],
    [
      'a numeric nameserver',
      { cniVersion: '1.1.0', dns: { nameservers: [1] } },
      6,
      /"dns\.nameservers" must be an array of strings/,
    ],
    ['a 0.2 ip4 that is a string', { cniVersion: '0.2.0', ip4: 'x' }, 6, /"ip4" must be an object/],
    ['a numeric cniVersion', { cniVersion: 1 }, 6, /"cniVersion" must be a string, got number 1/],
  ];
  for (const [what, input, code, msg] of bad) {
    it(`rejects ${what} with CniError ${code}`, () => {
      let err: unknown;
      try {
        parseResult(input as object);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CniError);
      expect((err as CniError).code).toBe(code);
      expect((err as CniError).msg).toMatch(msg);
    });
  }

  it('rejects an unknown target version', () => {
    const x = parseResult({ cniVersion: '1.0.0' });
    expect(() => convertResult(x, '0.5.0')).toThrow(/no converter for CNI result version 1.0.0 to 0.5.0/);
  });
});
