// Proof of the User-Mode Linux lane (scripts/uml/run.sh): the kernel features this machine lacks
// exist in the lane, and the test kit's named namespaces (koffi unshare + bind mount under
// /run/netns) work there. On a kernel with the features, this file also runs directly.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  destroyNetNS,
  hasKernelFeature,
  KERNEL_FEATURES,
  makeNetNS,
  requireKernelFeature,
  type TestNetNS,
} from '../src/index.js';

interface IpLink {
  ifname: string;
  link?: string;
  master?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
}

function run(t: TestNetNS, cmd: string, args: string[]): string {
  const r = t.run(() => spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 }));
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function link(t: TestNetNS, name: string): IpLink {
  const links = JSON.parse(run(t, 'ip', ['-j', '-d', 'link', 'show', 'dev', name])) as IpLink[];
  expect(links).toHaveLength(1);
  return links[0]!;
}

describe('User-Mode Linux lane', () => {
  let nss: TestNetNS[] = [];
  const ns = (label: string): TestNetNS => {
    const t = makeNetNS(label);
    nss.push(t);
    return t;
  };

  beforeAll(() => {
    requireKernelFeature(...KERNEL_FEATURES);
  });

  afterEach(() => {
    for (const t of nss) destroyNetNS(t);
    nss = [];
  });

  it('probes every feature as present', () => {
    for (const f of KERNEL_FEATURES) expect(hasKernelFeature(f), f).toBe(true);
  });

  it('makes named namespaces as nsfs bind mounts under /run/netns', () => {
    const a = ns('a');
    const b = ns('b');
    expect(a.path).toBe(`/run/netns/${a.name}`);
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l.includes(' nsfs '));
    expect(mounts.some((l) => l.split(' ')[4] === a.path)).toBe(true);
    expect(mounts.some((l) => l.split(' ')[4] === b.path)).toBe(true);
    // Two distinct namespaces: a link made in one is not in the other.
    run(a, 'ip', ['link', 'add', 'only-a', 'type', 'dummy']);
    expect(link(a, 'only-a').ifname).toBe('only-a');
    const r = b.run(() => spawnSync('ip', ['link', 'show', 'only-a'], { encoding: 'utf8' }));
    expect(r.status).not.toBe(0);
    destroyNetNS(a);
    nss = nss.filter((t) => t !== a);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(a.path);
  });

  it('creates an 802.1Q vlan on a veth', () => {
    const t = ns('vlan');
    run(t, 'ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1']);
    run(t, 'ip', ['link', 'add', 'link', 'eth0', 'name', 'eth0.100', 'type', 'vlan', 'id', '100']);
    const l = link(t, 'eth0.100');
    expect(l.link).toBe('eth0');
    expect(l.linkinfo?.info_kind).toBe('vlan');
    expect(l.linkinfo?.info_data).toMatchObject({ protocol: '802.1Q', id: 100 });
  });

  it('creates an ipvlan in l3 mode on a veth', () => {
    const t = ns('ipvlan');
    run(t, 'ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1']);
    run(t, 'ip', ['link', 'add', 'link', 'eth0', 'name', 'ipv0', 'type', 'ipvlan', 'mode', 'l3']);
    const l = link(t, 'ipv0');
    expect(l.link).toBe('eth0');
    expect(l.linkinfo?.info_kind).toBe('ipvlan');
    expect(l.linkinfo?.info_data).toMatchObject({ mode: 'l3' });
  });

  it('creates a vrf bound to a table and enslaves a link to it', () => {
    const t = ns('vrf');
    run(t, 'ip', ['link', 'add', 'vrf-blue', 'type', 'vrf', 'table', '1001']);
    run(t, 'ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1']);
    run(t, 'ip', ['link', 'set', 'eth0', 'master', 'vrf-blue']);
    const l = link(t, 'vrf-blue');
    expect(l.linkinfo?.info_kind).toBe('vrf');
    expect(l.linkinfo?.info_data).toMatchObject({ table: 1001 });
    expect(link(t, 'eth0').master).toBe('vrf-blue');
  });

  it('creates a dummy link with an address', () => {
    const t = ns('dummy');
    run(t, 'ip', ['link', 'add', 'dummy0', 'type', 'dummy']);
    run(t, 'ip', ['addr', 'add', '10.99.0.1/24', 'dev', 'dummy0']);
    run(t, 'ip', ['link', 'set', 'dummy0', 'up']);
    expect(link(t, 'dummy0').linkinfo?.info_kind).toBe('dummy');
    const addrs = JSON.parse(run(t, 'ip', ['-j', '-4', 'addr', 'show', 'dev', 'dummy0'])) as {
      addr_info: { local: string; prefixlen: number }[];
    }[];
    expect(addrs[0]?.addr_info).toContainEqual(
      expect.objectContaining({ local: '10.99.0.1', prefixlen: 24 }),
    );
  });

  it('creates a VLAN-filtering bridge with VLAN entries on the bridge and a port', () => {
    const t = ns('brvlan');
    run(t, 'ip', ['link', 'add', 'br0', 'type', 'bridge', 'vlan_filtering', '1']);
    run(t, 'ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1']);
    run(t, 'ip', ['link', 'set', 'eth0', 'master', 'br0']);
    run(t, 'bridge', ['vlan', 'add', 'vid', '42', 'dev', 'br0', 'self']);
    run(t, 'bridge', ['vlan', 'add', 'vid', '42', 'dev', 'eth0', 'pvid', 'untagged']);
    expect(link(t, 'br0').linkinfo?.info_data).toMatchObject({ vlan_filtering: 1 });
    const vlans = JSON.parse(run(t, 'bridge', ['-j', 'vlan', 'show'])) as {
      ifname: string;
      vlans: { vlan: number; flags?: string[] }[];
    }[];
    const on = (dev: string) => vlans.find((v) => v.ifname === dev)?.vlans ?? [];
    expect(on('br0').map((v) => v.vlan)).toContain(42);
    expect(on('eth0')).toContainEqual({ vlan: 42, flags: ['PVID', 'Egress Untagged'] });
  });
});
