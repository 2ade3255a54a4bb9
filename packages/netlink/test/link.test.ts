import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isExists, isNotFound, Netlink, NetlinkError } from '../src/index.js';
import { ipJson } from './helpers.js';

interface IpLink {
  ifindex: number;
  ifname: string;
  mtu: number;
  address: string;
  flags: string[];
  master?: string;
  link?: string;
  ifalias?: string;
  txqlen?: number;
  linkinfo?: { info_kind: string; info_data?: Record<string, unknown> };
}

describe('links', () => {
  let a: TestNetNS;
  let b: TestNetNS;
  let nl: Netlink;
  beforeEach(() => {
    a = makeNetNS('nla');
    b = makeNetNS('nlb');
    nl = Netlink.open(a.ns);
  });
  afterEach(() => {
    nl.close();
    destroyNetNS(a);
    destroyNetNS(b);
  });

  it('lists loopback like ip -j link', () => {
    const links = nl.linkList();
    const ip = ipJson<IpLink[]>(a, 'link', 'show');
    expect(links.map((l) => [l.index, l.name, l.mtu])).toEqual(ip.map((l) => [l.ifindex, l.ifname, l.mtu]));
    const lo = nl.linkByName('lo');
    expect(lo).toMatchObject({
      index: 1,
      name: 'lo',
      mac: '00:00:00:00:00:00',
      up: false,
      operState: 'down',
    });
    expect(lo.kind).toBeUndefined();
    expect(nl.linkByIndex(1).name).toBe('lo');
  });

  it('creates a veth pair with mtu, macs and txqlen, and the peer in another namespace', () => {
    const v = nl.linkAdd({
      kind: 'veth',
      name: 'veth0',
      peerName: 'eth0',
      peerNsFd: b.ns.fd,
      mtu: 1400,
      mac: '0a:58:0a:00:00:01',
      peerMac: '0a:58:0a:00:00:02',
      txQLen: 500,
    });
    expect(v).toMatchObject({
      name: 'veth0',
      kind: 'veth',
      mtu: 1400,
      mac: '0a:58:0a:00:00:01',
      txQLen: 500,
    });
    expect(v.linkNetnsId).toBeTypeOf('number');
    const [ipv] = ipJson<IpLink[]>(a, 'link', 'show', 'veth0');
    expect(ipv).toMatchObject({ ifindex: v.index, mtu: 1400, address: '0a:58:0a:00:00:01', txqlen: 500 });
    const [peer] = ipJson<IpLink[]>(b, '-d', 'link', 'show', 'eth0');
    expect(peer).toMatchObject({ mtu: 1400, address: '0a:58:0a:00:00:02' });
    expect(peer?.linkinfo?.info_kind).toBe('veth');
    const nlb = Netlink.open(b.ns);
    try {
      const p = nlb.linkByName('eth0');
      expect(p.parent).toBe(v.index);
      expect(v.parent).toBe(p.index);
    } finally {
      nlb.close();
    }
  });

  it('reports a duplicate name as isExists with the kernel message, a missing one as isNotFound', () => {
    nl.linkAdd({ kind: 'veth', name: 'dup0', peerName: 'dup1' });
    let err: unknown;
    try {
      nl.linkAdd({ kind: 'veth', name: 'dup0', peerName: 'dup2' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NetlinkError);
    expect(isExists(err)).toBe(true);
    expect((err as NetlinkError).errno).toBe(17);
    expect((err as NetlinkError).message).toMatch(/^link add dup0: .*file exists/);
    expect(() => nl.linkByName('missing0')).toThrow(NetlinkError);
    for (const f of [
      () => nl.linkByName('missing0'),
      () => nl.linkByIndex(4242),
      () => nl.linkDel('missing0'),
      () => nl.linkDel(4242),
    ]) {
      let e2: unknown;
      try {
        f();
      } catch (e) {
        e2 = e;
      }
      expect(isNotFound(e2)).toBe(true);
    }
  });

  it('rejects bad input naming the key and value', () => {
    expect(() => nl.linkAdd({ kind: 'veth', name: 'waytoolonginterfacename', peerName: 'x' })).toThrow(
      /invalid interface name "waytoolonginterfacename"/,
    );
    expect(() => nl.linkAdd({ kind: 'veth', name: 'ok0', peerName: 'ok1', mac: 'zz' })).toThrow(
      /invalid mac "zz"/,
    );
    expect(() => nl.linkAdd({ kind: 'bridge', name: 'br0', mtu: -1 })).toThrow(/invalid mtu -1/);
    expect(() => nl.linkSetMtu(0, 1500)).toThrow(/invalid link index 0/);
  });

  it('sets up/down, mtu, mac, name, alias, txqlen, promisc, allmulti', () => {
    const v = nl.linkAdd({ kind: 'veth', name: 'set0', peerName: 'set1' });
    nl.linkSetUp(v.index);
    nl.linkSetMtu(v.index, 1280);
    nl.linkSetMac(v.index, '02:00:00:AA:bb:cc');
    nl.linkSetName(v.index, 'renamed0');
    nl.linkSetAlias(v.index, 'my alias');
    nl.linkSetTxQLen(v.index, 42);
    nl.linkSetPromisc(v.index, true);
    nl.linkSetAllmulti(v.index, true);
    const l = nl.linkByIndex(v.index);
    expect(l).toMatchObject({
      name: 'renamed0',
      mtu: 1280,
      mac: '02:00:00:aa:bb:cc',
      up: true,
      promisc: true,
      allmulti: true,
      alias: 'my alias',
      txQLen: 42,
    });
    const [ipl] = ipJson<IpLink[]>(a, 'link', 'show', 'renamed0');
    expect(ipl?.flags).toEqual(expect.arrayContaining(['UP', 'PROMISC', 'ALLMULTI']));
    expect(ipl?.ifalias).toBe('my alias');
    expect(nl.linkByAlias('my alias')?.index).toBe(v.index);
    expect(nl.linkByMac('02:00:00:AA:BB:CC')?.index).toBe(v.index);
    expect(nl.linkByMac('02:00:00:00:00:99')).toBeUndefined();
    nl.linkSetDown(v.index);
    nl.linkSetPromisc(v.index, false);
    nl.linkSetAllmulti(v.index, false);
    expect(nl.linkByIndex(v.index)).toMatchObject({
      up: false,
      promisc: false,
      allmulti: false,
      operState: 'down',
    });
  });

  it('makes a bridge, enslaves and releases a port', () => {
    const br = nl.linkAdd({ kind: 'bridge', name: 'br0', mtu: 1450, mac: '02:11:22:33:44:55' });
    expect(br).toMatchObject({ kind: 'bridge', mac: '02:11:22:33:44:55' });
    const v = nl.linkAdd({ kind: 'veth', name: 'p0', peerName: 'p1' });
    nl.linkSetMaster(v.index, br.index);
    const port = nl.linkByIndex(v.index);
    expect(port.master).toBe(br.index);
    expect(port.slaveKind).toBe('bridge');
    expect(ipJson<IpLink[]>(a, 'link', 'show', 'p0')[0]?.master).toBe('br0');
    nl.linkSetMaster(v.index, 0);
    expect(nl.linkByIndex(v.index).master).toBeUndefined();
    expect(nl.linkByIndex(br.index).info?.bridgeVlanFiltering).toBe(false);
  });

  it('makes ifb and macvlan/macvtap devices, also straight into another namespace', () => {
    const ifb = nl.linkAdd({ kind: 'ifb', name: 'ifb0', mtu: 1400 });
    expect(ifb).toMatchObject({ kind: 'ifb', mtu: 1400 });
    const parent = nl.linkAdd({ kind: 'veth', name: 'up0', peerName: 'up1' });
    const mv = nl.linkAdd({ kind: 'macvlan', name: 'mv0', parent: parent.index, mode: 'bridge', mtu: 1400 });
    expect(mv).toMatchObject({ kind: 'macvlan', parent: parent.index, info: { macvlanMode: 'bridge' } });
    const [ipmv] = ipJson<IpLink[]>(a, '-d', 'link', 'show', 'mv0');
    expect(ipmv?.linkinfo?.info_data?.mode).toBe('bridge');
    // passthru wants the parent to itself: give it its own.
    const parent2 = nl.linkAdd({ kind: 'veth', name: 'up2', peerName: 'up3' });
    const mt = nl.linkAdd({ kind: 'macvtap', name: 'mt0', parent: parent2.index, mode: 'passthru' });
    expect(mt.info?.macvlanMode).toBe('passthru');
    const moved = nl.linkAdd({
      kind: 'macvlan',
      name: 'mvb',
      parent: parent.index,
      mode: 'private',
      nsFd: b.ns.fd,
    });
    expect(moved).toMatchObject({ name: 'mvb', kind: 'macvlan', info: { macvlanMode: 'private' } });
    expect(ipJson<IpLink[]>(b, 'link', 'show', 'mvb')[0]?.ifindex).toBe(moved.index);
    expect(() => nl.linkByName('mvb')).toThrow(/Link not found|no such device/);
  });

  it('moves a link to another namespace by fd and deletes by index', () => {
    const v = nl.linkAdd({ kind: 'veth', name: 'mv0', peerName: 'mv1' });
    nl.linkSetNsFd(v.index, b.ns.fd);
    expect(() => nl.linkByName('mv0')).toThrow(NetlinkError);
    expect(ipJson<IpLink[]>(b, 'link', 'show', 'mv0')).toHaveLength(1);
    const peer = nl.linkByName('mv1');
    nl.linkDel(peer.index);
    expect(ipJson<IpLink[]>(b, 'link', 'show').map((l) => l.ifname)).toEqual(['lo']);
  });
});
