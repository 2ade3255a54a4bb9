// vlan as a real process (dist/cni/bin/vlan) in the User-Mode Linux lane (this machine's kernel
// has no 8021q): every spec version, mtu, linkInContainer, CHECK, rollback, DEL with the
// master gone, and side by side with Debian's Go plugin.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ALL_VERSIONS,
  addrsOf,
  destroyNetNS,
  distCniBin,
  GO_CNI,
  hostLocal,
  ip,
  ipJson,
  linkInfo,
  linkNames,
  makeNetNS,
  ourBin,
  requireKernelFeature,
  runIn,
  type TempDir,
  type TestNetNS,
  tempDir,
  vethPair,
} from '@cni-internal/test-kit';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const goBin = join(GO_CNI, 'vlan');
let bin: string;
let host: TestNetNS;
let ctr: TestNetNS;
let data: TempDir;

beforeAll(() => {
  requireKernelFeature('vlan');
  bin = ourBin('vlan');
});

beforeEach(() => {
  host = makeNetNS('vlh');
  ctr = makeNetNS('vlc');
  data = tempDir('cni-vlan-');
  vethPair(host, 'hm0', 'hm0p', 9000);
});

afterEach(() => {
  destroyNetNS(host);
  destroyNetNS(ctr);
  data.cleanup();
});

const conf = (v: string, extra: object = {}) => ({
  cniVersion: v,
  name: 'vlnet',
  type: 'vlan',
  master: 'hm0',
  vlanId: 100,
  ipam: hostLocal(data.path),
  ...extra,
});
const run = (
  command: string,
  stdin: object,
  extra: { ifName?: string; netns?: string; bin?: string; containerID?: string } = {},
) =>
  runIn(host, extra.bin ?? bin, {
    command,
    containerID: extra.containerID ?? 'ctr-vl',
    netns: extra.netns ?? ctr.path,
    ifName: extra.ifName ?? 'eth0',
    stdin,
    path: extra.bin ? GO_CNI : distCniBin,
  });

const reserved = (): string[] => {
  const dir = join(data.path, 'vlnet');
  return existsSync(dir) ? readdirSync(dir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
};
const hostIndex = (name: string): number => ipJson(host, 'link', 'show', name)[0].ifindex;

describe('vlan process (UML lane)', () => {
  it.each(ALL_VERSIONS)('ADD/CHECK/DEL with host-local, cniVersion %s', async (v) => {
    const c = conf(v, { dns: { nameservers: ['10.77.0.53'] } });
    const add = await run('ADD', c);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const l = linkInfo(ctr, 'eth0');
    expect(l.linkinfo.info_kind).toBe('vlan');
    expect(l.linkinfo.info_data).toMatchObject({ protocol: '802.1Q', id: 100 });
    expect(l.link_index).toBe(hostIndex('hm0'));
    expect(l.mtu).toBe(9000);
    expect(l.flags).toContain('UP');
    expect(addrsOf(ctr, 'eth0')).toEqual(['10.77.0.2/24']);
    expect(ipJson(ctr, 'route', 'show', 'default')[0]).toMatchObject({ gateway: '10.77.0.1', dev: 'eth0' });
    expect(linkNames(host).sort()).toEqual(['hm0', 'hm0p']);
    if (v.startsWith('0.1') || v.startsWith('0.2')) {
      expect(add.json).toEqual({
        cniVersion: v,
        ip4: { ip: '10.77.0.2/24', gateway: '10.77.0.1', routes: [{ dst: '0.0.0.0/0' }] },
        dns: { nameservers: ['10.77.0.53'] },
      });
    } else {
      expect(add.json.cniVersion).toBe(v);
      expect(add.json.interfaces).toEqual([{ name: 'eth0', mac: l.address, sandbox: ctr.path }]);
      expect(add.json.ips[0]).toMatchObject({ address: '10.77.0.2/24', gateway: '10.77.0.1', interface: 0 });
      expect(add.json.dns).toEqual({ nameservers: ['10.77.0.53'] });
    }
    if (v === '0.4.0' || v.startsWith('1.')) {
      const check = await run('CHECK', { ...c, prevResult: add.json });
      expect(check.stdout + check.stderr).toBe('');
      expect(check.code).toBe(0);
    }
    const del = await run('DEL', c);
    expect(del.code).toBe(0);
    expect(linkNames(ctr)).toEqual([]);
    expect(reserved()).toEqual([]);
    // a repeated DEL (link and address already gone) succeeds; once is enough in this slow lane
    if (v === '1.1.0') expect((await run('DEL', c)).code).toBe(0);
  });

  it('mtu and vlanId 0; CHECK notices a different VLAN ID or MTU', async () => {
    const c = conf('1.1.0', { vlanId: 0, mtu: 1400 });
    const add = await run('ADD', c);
    expect(add.code).toBe(0);
    const l = linkInfo(ctr, 'eth0');
    expect(l.linkinfo.info_data.id).toBe(0);
    expect(l.mtu).toBe(1400);
    expect((await run('CHECK', { ...c, prevResult: add.json })).code).toBe(0);
    const id = await run('CHECK', { ...c, vlanId: 7, prevResult: add.json });
    expect(id.json.msg).toBe('Error: Container interface eth0 VLAN ID 0 does not match expected value: 7');
    const mtu = await run('CHECK', { ...c, mtu: 1300, prevResult: add.json });
    expect(mtu.json.msg).toBe('Error: Container interface eth0 MTU 1400 does not match expected value: 1300');
  });

  it('linkInContainer: the master lives in the container', async () => {
    vethPair(ctr, 'cm0', 'cm0p', 1600);
    const c = conf('1.0.0', { master: 'cm0', linkInContainer: true, vlanId: 42 });
    const add = await run('ADD', c, { ifName: 'net1' });
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const l = linkInfo(ctr, 'net1');
    expect(l.link).toBe('cm0');
    expect(l.mtu).toBe(1600);
    expect(l.linkinfo.info_data.id).toBe(42);
    expect((await run('CHECK', { ...c, prevResult: add.json }, { ifName: 'net1' })).code).toBe(0);
    expect((await run('DEL', c, { ifName: 'net1' })).code).toBe(0);
    expect(linkNames(ctr).sort()).toEqual(['cm0', 'cm0p']);
  });

  it('rollback: a VLAN ID already on the master fails before IPAM; a failing route releases link and IPAM', async () => {
    expect((await run('ADD', conf('1.1.0'))).code).toBe(0);
    const dup = await run('ADD', conf('1.1.0'), { ifName: 'net1', containerID: 'ctr-2' });
    expect(dup.code).not.toBe(0);
    expect(dup.json.msg).toMatch(/^failed to create vlan: /);
    expect(linkNames(ctr)).toEqual(['eth0']);
    expect(reserved()).toEqual(['10.77.0.2']);
    const ipam = { ...hostLocal(data.path), routes: [{ dst: '10.99.0.0/16', gw: '10.88.0.1' }] };
    const bad = await run('ADD', conf('1.1.0', { vlanId: 200, ipam }), {
      ifName: 'net2',
      containerID: 'ctr-3',
    });
    expect(bad.code).not.toBe(0);
    expect(linkNames(ctr)).toEqual(['eth0']);
    expect(reserved()).toEqual(['10.77.0.2']);
  });

  it('DEL succeeds when the master is gone (the Go reference fails)', async () => {
    const c = conf('1.0.0');
    expect((await run('ADD', c)).code).toBe(0);
    ip(host, 'link', 'del', 'hm0');
    const go = await run('DEL', c, { bin: goBin });
    expect(go.code).not.toBe(0);
    expect(reserved()).toEqual(['10.77.0.2']);
    const del = await run('DEL', c);
    expect(del.stdout + del.stderr).toBe('');
    expect(del.code).toBe(0);
    expect(reserved()).toEqual([]);
    expect(linkNames(ctr)).toEqual([]);
  });

  it('side by side with the Go plugin: same kernel state; each CHECKs and DELs the other', async () => {
    expect(existsSync(goBin)).toBe(true);
    const other = makeNetNS('vlg');
    try {
      const c = conf('1.0.0', { mtu: 1400, vlanId: 300 });
      const c2 = { ...c, vlanId: 301 };
      const go = await run('ADD', c, { bin: goBin, netns: other.path, containerID: 'ctr-go' });
      expect(go.code).toBe(0);
      const ts = await run('ADD', c2);
      expect(ts.code).toBe(0);
      const view = (n: TestNetNS) => {
        const l = linkInfo(n, 'eth0');
        return {
          kind: l.linkinfo.info_kind,
          protocol: l.linkinfo.info_data.protocol,
          mtu: l.mtu,
          up: l.flags.includes('UP'),
          parent: l.link_index,
          routes: ipJson(n, 'route', 'show').map((r: { dst: string; gateway?: string }) => [
            r.dst,
            r.gateway,
          ]),
        };
      };
      expect(view(ctr)).toEqual(view(other));
      expect(linkInfo(other, 'eth0').linkinfo.info_data.id).toBe(300);
      expect(linkInfo(ctr, 'eth0').linkinfo.info_data.id).toBe(301);
      const tsCheckGo = await run(
        'CHECK',
        { ...c, prevResult: go.json },
        { netns: other.path, containerID: 'ctr-go' },
      );
      expect(tsCheckGo.stdout + tsCheckGo.stderr).toBe('');
      expect(tsCheckGo.code).toBe(0);
      const goCheckTs = await run('CHECK', { ...c2, prevResult: ts.json }, { bin: goBin });
      expect(goCheckTs.stdout + goCheckTs.stderr).toBe('');
      expect(goCheckTs.code).toBe(0);
      expect((await run('DEL', c, { netns: other.path, containerID: 'ctr-go' })).code).toBe(0);
      expect((await run('DEL', c2, { bin: goBin })).code).toBe(0);
      expect(linkNames(other)).toEqual([]);
      expect(linkNames(ctr)).toEqual([]);
      expect(reserved()).toEqual([]);
    } finally {
      destroyNetNS(other);
    }
  });
});
