// Link kinds and bridge VLAN filtering that the build machine's kernel lacks (vlan, ipvlan,
// vrf, dummy, bridge-vlan): run in the User-Mode Linux lane (scripts/uml/run.sh).
import { destroyNetNS, makeNetNS, requireKernelFeature, type TestNetNS } from '@cni-internal/test-kit';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isExists, Netlink } from '../src/index.js';
import { ipJson } from './helpers.js';

interface IpLink {
  ifname: string;
  mtu: number;
  link?: string;
  linkinfo?: { info_kind: string; info_data?: Record<string, unknown> };
}

describe('vlan, ipvlan, vrf, dummy and bridge VLANs', () => {
  let a: TestNetNS;
  let b: TestNetNS;
  let nl: Netlink;
  beforeAll(() => requireKernelFeature('vlan', 'ipvlan', 'vrf', 'dummy', 'bridge-vlan'));
  beforeEach(() => {
    a = makeNetNS('nluml');
    b = makeNetNS('nlumlb');
    nl = Netlink.open(a.ns);
  });
  afterEach(() => {
    nl.close();
    destroyNetNS(a);
    destroyNetNS(b);
  });

  it('creates dummy, vlan and ipvlan links (also straight into another namespace)', () => {
    const d = nl.linkAdd({ kind: 'dummy', name: 'dummy0', mtu: 9000 });
    expect(d).toMatchObject({ kind: 'dummy', mtu: 9000 });
    const v = nl.linkAdd({ kind: 'vlan', name: 'dummy0.42', parent: d.index, vlanId: 42, mtu: 1500 });
    expect(v).toMatchObject({ kind: 'vlan', parent: d.index, info: { vlanId: 42 }, mtu: 1500 });
    expect(ipJson<IpLink[]>(a, '-d', 'link', 'show', 'dummy0.42')[0]?.linkinfo?.info_data).toMatchObject({
      id: 42,
    });
    expect(
      isExists(catchErr(() => nl.linkAdd({ kind: 'vlan', name: 'dummy0.42', parent: d.index, vlanId: 43 }))),
    ).toBe(true);
    const ip = nl.linkAdd({ kind: 'ipvlan', name: 'ipvl0', parent: d.index, mode: 'l3' });
    expect(ip).toMatchObject({ kind: 'ipvlan', info: { ipvlanMode: 'l3' } });
    expect(ipJson<IpLink[]>(a, '-d', 'link', 'show', 'ipvl0')[0]?.linkinfo?.info_data).toMatchObject({
      mode: 'l3',
    });
    const moved = nl.linkAdd({ kind: 'ipvlan', name: 'eth0', parent: d.index, mode: 'l2', nsFd: b.ns.fd });
    expect(moved).toMatchObject({ name: 'eth0', kind: 'ipvlan', info: { ipvlanMode: 'l2' } });
    const vb = nl.linkAdd({ kind: 'vlan', name: 'eth1', parent: d.index, vlanId: 7, nsFd: b.ns.fd });
    expect(vb.info?.vlanId).toBe(7);
    expect(
      ipJson<IpLink[]>(b, 'link', 'show')
        .map((l) => l.ifname)
        .sort(),
    ).toEqual(['eth0', 'eth1', 'lo']);
    expect(() => nl.linkAdd({ kind: 'vlan', name: 'bad0', parent: d.index, vlanId: 5000 })).toThrow(
      /invalid vlanId 5000/,
    );
  });

  it('creates a vrf with its table and enslaves a device', () => {
    const vrf = nl.linkAdd({ kind: 'vrf', name: 'vrf-blue', table: 1001 });
    expect(vrf).toMatchObject({ kind: 'vrf', info: { vrfTable: 1001 } });
    const d = nl.linkAdd({ kind: 'dummy', name: 'd1' });
    nl.linkSetMaster(d.index, vrf.index);
    expect(nl.linkByIndex(d.index)).toMatchObject({ master: vrf.index, slaveKind: 'vrf' });
    expect(ipJson<IpLink[]>(a, '-d', 'link', 'show', 'vrf-blue')[0]?.linkinfo?.info_data).toMatchObject({
      table: 1001,
    });
  });

  it('makes a VLAN-filtering bridge and manages port VLANs', () => {
    const br = nl.linkAdd({ kind: 'bridge', name: 'br0', vlanFiltering: true });
    expect(br.info?.bridgeVlanFiltering).toBe(true);
    const v = nl.linkAdd({ kind: 'veth', name: 'p0', peerName: 'p1' });
    nl.linkSetMaster(v.index, br.index);
    // a new port gets the default pvid 1, untagged
    expect(nl.bridgeVlanList(v.index)).toEqual([{ vid: 1, pvid: true, untagged: true }]);
    nl.bridgeVlanDel(v.index, 1);
    nl.bridgeVlanAdd(v.index, 100, { pvid: true, untagged: true });
    nl.bridgeVlanAdd(v.index, 200);
    expect(nl.bridgeVlanList(v.index)).toEqual([
      { vid: 100, pvid: true, untagged: true },
      { vid: 200, pvid: false, untagged: false },
    ]);
    nl.bridgeVlanAdd(br.index, 100, { self: true });
    expect(nl.bridgeVlanList(br.index).map((x) => x.vid)).toContain(100);
    nl.bridgeVlanDel(v.index, 200);
    expect(nl.bridgeVlanList(v.index).map((x) => x.vid)).toEqual([100]);
    expect(() => nl.bridgeVlanAdd(v.index, 0)).toThrow(/invalid vid 0/);
  });

  it('turns VLAN filtering of an existing bridge on and off', () => {
    const br = nl.linkAdd({ kind: 'bridge', name: 'br1', mtu: 1400 });
    expect(br.info?.bridgeVlanFiltering).toBe(false);
    nl.linkSetBridgeVlanFiltering(br.index, true);
    expect(nl.linkByIndex(br.index)).toMatchObject({ mtu: 1400, info: { bridgeVlanFiltering: true } });
    expect(ipJson<IpLink[]>(a, '-d', 'link', 'show', 'br1')[0]?.linkinfo?.info_data).toMatchObject({
      vlan_filtering: 1,
    });
    nl.linkSetBridgeVlanFiltering(br.index, false);
    expect(nl.linkByIndex(br.index).info?.bridgeVlanFiltering).toBe(false);
    const d = nl.linkAdd({ kind: 'dummy', name: 'notbr' });
    expect(() => nl.linkSetBridgeVlanFiltering(d.index, true)).toThrow();
  });
});

function catchErr(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}
