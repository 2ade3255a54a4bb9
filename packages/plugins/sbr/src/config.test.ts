import { describe, expect, it } from 'vitest';
import {
  gatewayFor,
  hostSource,
  nextFreeTable,
  parseConf,
  relevantIPs,
  routeFollows,
  type SbrIP,
  subnetOf,
} from './config.js';

const conf = (extra: object = {}) =>
  JSON.stringify({ cniVersion: '1.1.0', name: 'n', type: 'sbr', ...extra });

describe('parseConf', () => {
  it('defaults: automatic table, no static gateways, no source hints', () => {
    const c = parseConf(conf());
    expect(c.table).toBeUndefined();
    expect(c.gatewayV4).toBeUndefined();
    expect(c.gatewayV6).toBeUndefined();
    expect(c.addSourceHints).toBe(false);
  });

  it('reads table, gateways and addSourceHints case-insensitively', () => {
    const c = parseConf(conf({ Table: 42, GATEWAYS: ['fd00::1', '10.0.0.1'], addsourcehints: true }));
    expect(c.table).toBe(42);
    expect(c.gatewayV4).toBe('10.0.0.1');
    expect(c.gatewayV6).toBe('fd00::1');
    expect(c.addSourceHints).toBe(true);
  });

  it.each([
    [{ table: 0 }, 7, 'invalid "table" 0: must be in [1, 4294967295]'],
    [{ table: -1 }, 7, 'invalid "table" -1'],
    [{ table: 2 ** 32 }, 7, 'invalid "table" 4294967296'],
    [{ table: 1.5 }, 6, 'key "table" must be an integer'],
    [{ gateways: ['fd00::1', 'fd00::2'] }, 7, 'multiple IPv6 addresses: fd00::1 and fd00::2'],
    [{ gateways: ['10.0.0.1', 'fd00::1', '10.0.0.2'] }, 7, 'cannot contain more than 2 entries'],
    [{ gateways: ['10.0.0.300'] }, 7, 'invalid static gateway IP address: "10.0.0.300"'],
    [{ gateways: [1] }, 6, 'key "gateways" must be an array of strings'],
  ])('%j is refused (code %i)', (extra, code, text) => {
    expect(() => parseConf(conf(extra))).toThrow(
      expect.objectContaining({ code, msg: expect.stringContaining(text) }),
    );
  });
});

describe('relevantIPs', () => {
  const prev = {
    cniVersion: '1.1.0',
    interfaces: [{ name: 'eth0' }, { name: 'eth1' }],
    ips: [
      { address: '10.0.0.5/24', gateway: '10.0.0.1', interface: 0 },
      { address: '10.1.0.5/24', interface: 1 },
      { address: 'fd00::5/64' },
      { address: '10.2.0.5/24', interface: 7 },
    ],
  };
  it('keeps the addresses of the interface, those without index and those with an index out of range', () => {
    expect(relevantIPs(prev, 'eth0').map((a) => a.cidr)).toEqual([
      '10.0.0.5/24',
      'fd00::5/64',
      '10.2.0.5/24',
    ]);
    expect(relevantIPs(prev, 'eth1').map((a) => a.cidr)).toEqual([
      '10.1.0.5/24',
      'fd00::5/64',
      '10.2.0.5/24',
    ]);
  });
  it('refuses a result without addresses', () => {
    expect(() => relevantIPs({ cniVersion: '1.1.0' }, 'eth0')).toThrow(
      'No IP addresses supplied on interface: eth0',
    );
  });
});

describe('table choice and routes', () => {
  it('nextFreeTable skips used tables', () => {
    expect(nextFreeTable(new Set(), 100)).toBe(100);
    expect(nextFreeTable(new Set([100, 101, 103, 253, 254, 255]), 100)).toBe(102);
    expect(nextFreeTable(new Set([100, 101, 103]), 103)).toBe(104);
  });

  const [a4, a6] = relevantIPs(
    {
      cniVersion: '1.1.0',
      ips: [
        { address: '10.0.0.5/24', gateway: '10.0.0.1' },
        { address: 'fd00:1::5/64', gateway: 'fd00:1::1' },
      ],
    },
    'eth0',
  ) as [SbrIP, SbrIP];

  it('routeFollows: src or gw in the subnet, or a generic route', () => {
    expect(routeFollows(a4, { src: '10.0.0.5' })).toBe(true);
    expect(routeFollows(a4, { gw: '10.0.0.1' })).toBe(true);
    expect(routeFollows(a4, {})).toBe(true);
    expect(routeFollows(a4, { gw: '10.9.0.1' })).toBe(false);
    expect(routeFollows(a4, { gw: 'fd00:1::1' })).toBe(false);
    expect(routeFollows(a6, { gw: 'fd00:1::1' })).toBe(true);
  });

  it('gatewayFor: the static gateway of the family first', () => {
    const c = parseConf(conf({ gateways: ['10.0.0.254'] }));
    expect(gatewayFor(c, a4)).toBe('10.0.0.254');
    expect(gatewayFor(c, a6)).toBe('fd00:1::1');
  });

  it('subnetOf and hostSource', () => {
    expect(subnetOf(a4)).toBe('10.0.0.0/24');
    expect(subnetOf(a6)).toBe('fd00:1::/64');
    expect(hostSource(a4)).toBe('10.0.0.5/32');
    expect(hostSource(a6)).toBe('fd00:1::5/128');
  });
});
