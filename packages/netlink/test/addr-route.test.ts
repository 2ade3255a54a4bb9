import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isExists, isNotFound, Netlink, NetlinkError, RT_SCOPE_LINK, RT_TABLE_MAIN } from '../src/index.js';
import { ipJson } from './helpers.js';

interface IpAddr {
  ifindex: number;
  addr_info: {
    family: string;
    local: string;
    prefixlen: number;
    broadcast?: string;
    scope: string;
    address?: string;
  }[];
}
interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  metric?: number;
  table?: string;
  prefsrc?: string;
  nexthops?: { gateway: string; dev: string; weight: number }[];
  mtu?: number;
  advmss?: number;
}

function catchErr(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('addresses and routes', () => {
  let t: TestNetNS;
  let nl: Netlink;
  let dev: number;
  let dev2: number;
  beforeEach(() => {
    t = makeNetNS('nlar');
    nl = Netlink.open(t.ns);
    dev = nl.linkAdd({ kind: 'veth', name: 'v0', peerName: 'v1' }).index;
    dev2 = nl.linkByName('v1').index;
    nl.linkSetUp(dev);
    nl.linkSetUp(dev2);
    nl.linkSetUp(1);
  });
  afterEach(() => {
    nl.close();
    destroyNetNS(t);
  });

  it('adds, lists and deletes IPv4 and IPv6 addresses like ip -j addr', () => {
    nl.addrAdd(dev, '10.1.2.3/24');
    nl.addrAdd(dev, '10.1.3.3/31');
    nl.addrAdd(dev, 'fd00::5/64', { noDad: true });
    const v4 = nl.addrList({ index: dev, family: 4 });
    expect(v4).toEqual([
      expect.objectContaining({
        index: dev,
        family: 4,
        address: '10.1.2.3/24',
        local: '10.1.2.3',
        broadcast: '10.1.2.255',
        scope: 0,
        label: 'v0',
      }),
      expect.objectContaining({ address: '10.1.3.3/31' }),
    ]);
    expect(v4[1]?.broadcast).toBeUndefined();
    const v6 = nl.addrList({ index: dev, family: 6 }).filter((a) => !a.address.startsWith('fe80'));
    expect(v6).toEqual([
      expect.objectContaining({ address: 'fd00::5/64', tentative: false, dadFailed: false }),
    ]);
    expect(v6[0]!.flags & 0x02).toBe(0x02); // IFA_F_NODAD
    const [ip] = ipJson<IpAddr[]>(t, 'addr', 'show', 'dev', 'v0');
    expect(ip?.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`)).toEqual([
      '10.1.2.3/24',
      '10.1.3.3/31',
    ]);
    expect(ip?.addr_info.find((a) => a.local === '10.1.2.3')?.broadcast).toBe('10.1.2.255');
    expect(isExists(catchErr(() => nl.addrAdd(dev, '10.1.2.3/24')))).toBe(true);
    nl.addrDel(dev, '10.1.2.3/24');
    nl.addrDel(dev, 'fd00::5/64');
    expect(
      nl
        .addrList({ index: dev })
        .map((a) => a.address)
        .filter((a) => !a.startsWith('fe80')),
    ).toEqual(['10.1.3.3/31']);
    expect(isNotFound(catchErr(() => nl.addrDel(dev, '10.1.2.3/24')))).toBe(true);
  });

  it('adds a point-to-point address with a peer and scope', () => {
    nl.addrAdd(dev, '10.5.0.1/32', { peer: '10.5.0.2/32', scope: RT_SCOPE_LINK });
    const [a] = nl.addrList({ index: dev, family: 4 });
    expect(a).toMatchObject({ address: '10.5.0.1/32', peer: '10.5.0.2/32', scope: RT_SCOPE_LINK });
    const [ip] = ipJson<IpAddr[]>(t, 'addr', 'show', 'dev', 'v0');
    expect(ip?.addr_info[0]).toMatchObject({ local: '10.5.0.1', address: '10.5.0.2', scope: 'link' });
  });

  it('rejects a bad prefix or address naming the value', () => {
    const e = catchErr(() => nl.addrAdd(dev, '10.1.2.3/33'));
    expect(e).toBeInstanceOf(NetlinkError);
    expect((e as Error).message).toMatch(/invalid address.*10\.1\.2\.3\/33.*prefix length "33"/);
    expect(() => nl.addrAdd(dev, '10.1.2.300/24')).toThrow(/invalid IP address "10.1.2.300"/);
    expect(() => nl.addrAdd(dev, '10.1.2.3')).toThrow(/want ip\/prefix/);
    expect(isNotFound(catchErr(() => nl.addrAdd(4242, '10.1.2.3/24')))).toBe(true);
  });

  it('adds, appends (ECMP), replaces, lists, gets and deletes routes', () => {
    nl.addrAdd(dev, '10.1.2.3/24');
    nl.addrAdd(dev2, '10.1.4.3/24');
    nl.routeAdd({ family: 4, dst: '10.9.0.0/16', gw: '10.1.2.1', priority: 100, mtu: 1400, advmss: 1360 });
    nl.routeAdd({ family: 4, dst: '10.8.0.0/16', oif: dev, scope: RT_SCOPE_LINK, src: '10.1.2.3' });
    nl.routeAdd({ family: 4, gw: '10.1.2.254' });
    const routes = nl.routeList({ family: 4 });
    expect(routes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          dst: '10.9.0.0/16',
          gw: '10.1.2.1',
          oif: dev,
          priority: 100,
          table: RT_TABLE_MAIN,
          protocol: 3,
          mtu: 1400,
          advmss: 1360,
        }),
        expect.objectContaining({ dst: '10.8.0.0/16', oif: dev, scope: RT_SCOPE_LINK, src: '10.1.2.3' }),
        expect.objectContaining({ gw: '10.1.2.254', oif: dev }),
      ]),
    );
    expect(routes.find((r) => r.gw === '10.1.2.254')?.dst).toBeUndefined();
    const ip = ipJson<IpRoute[]>(t, 'route', 'show');
    expect(ip.find((r) => r.dst === '10.9.0.0/16')).toMatchObject({
      gateway: '10.1.2.1',
      dev: 'v0',
      metric: 100,
    });
    expect(ip.find((r) => r.dst === 'default')).toMatchObject({ gateway: '10.1.2.254' });
    expect(
      isExists(catchErr(() => nl.routeAdd({ family: 4, dst: '10.9.0.0/16', gw: '10.1.2.1', priority: 100 }))),
    ).toBe(true);
    expect(nl.routeGet('10.9.5.5')).toMatchObject({
      family: 4,
      dst: '10.9.5.5/32',
      gw: '10.1.2.1',
      oif: dev,
    });
    nl.routeAdd({ family: 4, dst: '10.9.0.0/16', gw: '10.1.2.2', priority: 100 }, 'replace');
    expect(nl.routeList({ family: 4, oif: dev }).find((r) => r.dst === '10.9.0.0/16')?.gw).toBe('10.1.2.2');
    nl.routeDel({ family: 4, dst: '10.9.0.0/16', priority: 100 });
    nl.routeAdd({
      family: 4,
      dst: '10.7.0.0/16',
      multipath: [
        { gw: '10.1.2.1', oif: dev, weight: 2 },
        { gw: '10.1.4.1', oif: dev2 },
      ],
    });
    const mp = nl.routeList({ family: 4 }).find((r) => r.dst === '10.7.0.0/16');
    expect(mp?.multipath).toEqual([
      { gw: '10.1.2.1', oif: dev, weight: 2 },
      { gw: '10.1.4.1', oif: dev2, weight: 1 },
    ]);
    expect(ipJson<IpRoute[]>(t, 'route', 'show', '10.7.0.0/16')[0]?.nexthops?.map((h) => h.weight)).toEqual([
      2, 1,
    ]);
    expect(isNotFound(catchErr(() => nl.routeDel({ family: 4, dst: '10.9.0.0/16', priority: 100 })))).toBe(
      true,
    );
    expect(nl.routeList({ family: 4 }).some((r) => r.dst === '10.9.0.0/16')).toBe(false);
  });

  it('appends an IPv6 route to make ECMP and uses other tables', () => {
    nl.addrAdd(dev, 'fd00:1::1/64', { noDad: true });
    nl.addrAdd(dev2, 'fd00:2::1/64', { noDad: true });
    nl.routeAdd({ family: 6, dst: 'fd00:9::/48', gw: 'fd00:1::2' });
    nl.routeAdd({ family: 6, dst: 'fd00:9::/48', gw: 'fd00:2::2' }, 'append');
    const r = nl.routeList({ family: 6 }).find((x) => x.dst === 'fd00:9::/48');
    expect(r?.multipath?.map((h) => h.gw)).toEqual(['fd00:1::2', 'fd00:2::2']);
    nl.routeAdd({ family: 4, dst: '0.0.0.0/0', oif: dev, table: 1000 });
    nl.routeAdd({ family: 6, dst: '::/0', oif: dev, table: 1000 });
    expect(nl.routeList({ family: 4, table: 1000 })).toEqual([
      expect.objectContaining({ table: 1000, oif: dev }),
    ]);
    expect(
      nl
        .routeList({ table: 1000 })
        .map((x) => x.family)
        .sort(),
    ).toEqual([4, 6]);
    expect(nl.routeList({ table: 0 }).some((x) => x.table === 255)).toBe(true);
    expect(ipJson<IpRoute[]>(t, 'route', 'show', 'table', '1000')[0]).toMatchObject({
      dst: 'default',
      dev: 'v0',
    });
    nl.routeDel({ family: 4, oif: dev, table: 1000 });
    expect(nl.routeList({ family: 4, table: 1000 })).toEqual([]);
  });

  it('rejects bad routes naming the key', () => {
    expect(() => nl.routeAdd({ family: 4, dst: '10.0.0.0/40' })).toThrow(/invalid dst "10.0.0.0\/40"/);
    expect(() => nl.routeAdd({ family: 4, dst: 'fd00::/64' })).toThrow(/invalid dst "fd00::\/64": not IPv4/);
    expect(() => nl.routeAdd({ family: 4, gw: 'nope' })).toThrow(/invalid gw "nope"/);
    expect(() => nl.routeGet('x')).toThrow(/invalid dst "x"/);
    const e = catchErr(() => nl.routeAdd({ family: 4, dst: '10.3.0.0/16', gw: '192.168.99.1' }));
    expect((e as NetlinkError).code).toBe('ENETUNREACH');
  });
});
