// bridge VLANs (vlan, vlanTrunk, preserveDefaultVlan, the VLAN gateway interface) need bridge
// VLAN filtering, which the build machine's kernel lacks: this file runs in the User-Mode Linux
// lane (scripts/uml/run.sh packages/plugins/bridge), with the processes from dist/cni/bin.
import { spawnSync } from 'node:child_process';
import { destroyNetNS, makeNetNS, requireKernelFeature, type TestNetNS } from '@cni-internal/test-kit';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addrsOf, linkInfo, runIn, tcpEcho, tempDir } from '@cni-internal/test-kit/net';

interface VlanEntry {
  vlan: number;
  flags?: string[];
}

/** `bridge -j vlan show dev <name>` in ns as "vid[P][U]" strings, sorted. */
function vlans(ns: TestNetNS, dev: string): string[] {
  const r = spawnSync('bridge', ['-n', ns.name, '-j', 'vlan', 'show', 'dev', dev], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const doc = JSON.parse(r.stdout) as { ifname: string; vlans: VlanEntry[] }[];
  const entries = doc.find((d) => d.ifname === dev)?.vlans ?? [];
  return entries
    .map(
      (v) =>
        `${v.vlan}${v.flags?.includes('PVID') ? 'P' : ''}${v.flags?.includes('Egress Untagged') ? 'U' : ''}`,
    )
    .sort();
}

let host: TestNetNS;
let conts: TestNetNS[];
let store: { dir: string; cleanup(): void };

beforeAll(() => requireKernelFeature('bridge-vlan'));
beforeEach(() => {
  host = makeNetNS('bvh');
  conts = [makeNetNS('bvc'), makeNetNS('bvc'), makeNetNS('bvc')];
  store = tempDir('cni-bridge-vlan-');
});
afterEach(() => {
  for (const c of conts) destroyNetNS(c);
  destroyNetNS(host);
  store.cleanup();
});

const conf = (extra: object, subnet = '10.77.0.0/24') => ({
  cniVersion: '1.0.0',
  name: 'vlnet',
  type: 'bridge',
  bridge: 'brv',
  ipam: { type: 'host-local', subnet, dataDir: store.dir },
  ...extra,
});
const env = (c: TestNetNS, id: string) => ({ containerID: id, netns: c.path, ifName: 'eth0' });

describe('bridge VLANs', () => {
  it('vlan: filtering bridge, PVID untagged port without VID 1, gateway on <bridge>.<vlan>', async () => {
    const c = conts[0] as TestNetNS;
    const cfg = conf({ vlan: 100, isGateway: true });
    const add = await runIn(host, 'bridge', { command: 'ADD', ...env(c, 'v1'), stdin: cfg });
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(linkInfo(host, 'brv').linkinfo.info_data.vlan_filtering).toBe(1);
    const port = add.json.interfaces[1].name;
    expect(vlans(host, port)).toEqual(['100PU']);
    expect(add.json.interfaces[3]).toEqual({ name: 'brv.100', mac: linkInfo(host, 'brv.100').address });
    expect(addrsOf(host, 'brv.100')).toEqual(['10.77.0.1/24']);
    expect(addrsOf(host, 'brv')).toEqual([]);
    const gwPeer = linkInfo(host, 'brv.100').link as string;
    expect(vlans(host, gwPeer)).toEqual(['100PU']);
    expect(await tcpEcho(c, host, '10.77.0.1')).toBe(true);
    const del = await runIn(host, 'bridge', { command: 'DEL', ...env(c, 'v1'), stdin: cfg });
    expect(del.code).toBe(0);
    expect(linkInfo(host, port)).toBeUndefined();
    expect(linkInfo(host, 'brv.100')).toBeDefined(); // shared, never removed (as Go)
  });

  it('vlan on an existing bridge without VLAN filtering turns filtering on', async () => {
    const [a, b] = conts as [TestNetNS, TestNetNS];
    const mk = spawnSync('ip', ['-n', host.name, 'link', 'add', 'brv', 'type', 'bridge'], {
      encoding: 'utf8',
    });
    expect(mk.stderr).toBe('');
    expect(linkInfo(host, 'brv').linkinfo.info_data.vlan_filtering).toBe(0);
    const cfg = conf({ vlan: 42 });
    const add = await runIn(host, 'bridge', { command: 'ADD', ...env(a, 'e1'), stdin: cfg });
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(linkInfo(host, 'brv').linkinfo.info_data.vlan_filtering).toBe(1);
    expect(vlans(host, add.json.interfaces[1].name)).toEqual(['42PU']);
    // a second port in another VLAN is now really separated
    const other = await runIn(host, 'bridge', { command: 'ADD', ...env(b, 'e2'), stdin: conf({ vlan: 43 }) });
    expect(other.code).toBe(0);
    expect(await tcpEcho(b, a, '10.77.0.2')).toBe(false);
  });

  it('vlanTrunk without vlan: VID 1 stays the untagged PVID, trunk VIDs tagged', async () => {
    const c = conts[0] as TestNetNS;
    const cfg = conf({ vlanTrunk: [{ id: 101 }, { minID: 200, maxID: 202 }] });
    const add = await runIn(host, 'bridge', { command: 'ADD', ...env(c, 't1'), stdin: cfg });
    expect(add.code).toBe(0);
    expect(vlans(host, add.json.interfaces[1].name)).toEqual(['101', '1PU', '200', '201', '202']);
  });

  it('preserveDefaultVlan keeps VID 1 next to the port VLAN', async () => {
    const c = conts[0] as TestNetNS;
    const cfg = conf({ vlan: 30, preserveDefaultVlan: true, vlanTrunk: [{ id: 31 }] });
    const add = await runIn(host, 'bridge', { command: 'ADD', ...env(c, 'p1'), stdin: cfg });
    expect(add.code).toBe(0);
    expect(vlans(host, add.json.interfaces[1].name)).toEqual(['1U', '30PU', '31']);
  });

  it('ports in one VLAN reach each other, a port in another VLAN does not', async () => {
    const [a, b, x] = conts as [TestNetNS, TestNetNS, TestNetNS];
    const v10 = conf({ vlan: 10 });
    const v20 = conf({ vlan: 20 });
    for (const [c, id, cfg] of [
      [a, 'a', v10],
      [b, 'b', v10],
      [x, 'x', v20],
    ] as const) {
      expect((await runIn(host, 'bridge', { command: 'ADD', ...env(c, id), stdin: cfg })).code).toBe(0);
    }
    expect(await tcpEcho(a, b, '10.77.0.3')).toBe(true);
    expect(await tcpEcho(x, a, '10.77.0.2')).toBe(false);
  });
});
