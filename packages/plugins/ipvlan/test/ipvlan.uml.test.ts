// ipvlan as a real process (dist/cni/bin/ipvlan) in the User-Mode Linux lane (this machine's
// kernel has no ipvlan): every spec version, modes, chaining, linkInContainer, rollback,
// idempotent DEL, and side by side with Debian's Go plugin.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ALL_VERSIONS,
  addrsOf,
  destroyNetNS,
  distCniBin,
  GO_CNI,
  hostLocal,
  inNs,
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

let bin: string;
let host: TestNetNS;
let ctr: TestNetNS;
let data: TempDir;

beforeAll(() => {
  requireKernelFeature('ipvlan');
  bin = ourBin('ipvlan');
});

beforeEach(() => {
  host = makeNetNS('ivh');
  ctr = makeNetNS('ivc');
  data = tempDir('cni-ipvlan-');
  // hm0 stands in for the host NIC and carries the default route; hm1 is a second NIC.
  vethPair(host, 'hm0', 'hm0p', 9000);
  ip(host, 'addr', 'add', '192.0.2.1/24', 'dev', 'hm0');
  ip(host, 'route', 'add', 'default', 'via', '192.0.2.254', 'dev', 'hm0');
  vethPair(host, 'hm1', 'hm1p');
});

afterEach(() => {
  destroyNetNS(host);
  destroyNetNS(ctr);
  data.cleanup();
});

const conf = (v: string, extra: object = {}) => ({
  cniVersion: v,
  name: 'ivnet',
  type: 'ipvlan',
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
    containerID: extra.containerID ?? 'ctr-iv',
    netns: extra.netns ?? ctr.path,
    ifName: extra.ifName ?? 'eth0',
    stdin,
    path: extra.bin ? GO_CNI : distCniBin,
  });

const reserved = (): string[] => {
  const dir = join(data.path, 'ivnet');
  return existsSync(dir) ? readdirSync(dir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
};
const hostIndex = (name: string): number => ipJson(host, 'link', 'show', name)[0].ifindex;

describe('ipvlan process (UML lane)', () => {
  it.each(ALL_VERSIONS)('ADD/CHECK/DEL on the default-route interface, cniVersion %s', async (v) => {
    const c = conf(v, { dns: { nameservers: ['10.77.0.53'] } });
    const add = await run('ADD', c);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const l = linkInfo(ctr, 'eth0');
    expect(l.linkinfo.info_kind).toBe('ipvlan');
    expect(l.linkinfo.info_data.mode).toBe('l2');
    expect(l.link_index).toBe(hostIndex('hm0'));
    expect(l.mtu).toBe(9000);
    expect(addrsOf(ctr, 'eth0')).toEqual(['10.77.0.2/24']);
    expect(ipJson(ctr, 'route', 'show', 'default')[0]).toMatchObject({ gateway: '10.77.0.1', dev: 'eth0' });
    expect(inNs(ctr, 'cat', '/proc/sys/net/ipv4/conf/eth0/arp_notify').trim()).toBe('1');
    expect(inNs(ctr, 'cat', '/proc/sys/net/ipv6/conf/eth0/ndisc_notify').trim()).toBe('1');
    expect(linkNames(host).sort()).toEqual(['hm0', 'hm0p', 'hm1', 'hm1p']);
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

  it('modes l3 and l3s, mtu, and CHECK of the mode', async () => {
    const c = conf('1.1.0', { master: 'hm1', mode: 'l3', mtu: 1400 });
    const add = await run('ADD', c);
    expect(add.code).toBe(0);
    const l = linkInfo(ctr, 'eth0');
    expect(l.linkinfo.info_data.mode).toBe('l3');
    expect(l.link_index).toBe(hostIndex('hm1'));
    expect(l.mtu).toBe(1400);
    expect((await run('CHECK', { ...c, prevResult: add.json })).code).toBe(0);
    const wrong = await run('CHECK', { ...c, mode: 'l2', prevResult: add.json });
    expect(wrong.code).not.toBe(0);
    expect(wrong.json.msg).toBe('Container IPVlan mode l3 does not match expected value: l2');
    const add2 = await run('ADD', conf('1.1.0', { master: 'hm1', mode: 'l3s' }), { ifName: 'net1' });
    expect(add2.code).toBe(0);
    expect(linkInfo(ctr, 'net1').linkinfo.info_data.mode).toBe('l3s');
    expect(addrsOf(ctr, 'net1')).toEqual(['10.77.0.3/24']);
  });

  it('chained: master and addresses from prevResult when there is no ipam', async () => {
    const prevResult = {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'hm1' }],
      ips: [{ address: '10.88.0.5/24', gateway: '10.88.0.1', interface: 0 }],
      routes: [{ dst: '10.99.0.0/16' }],
    };
    const c = { cniVersion: '1.0.0', name: 'ivnet', type: 'ipvlan', prevResult };
    const add = await run('ADD', c);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(linkInfo(ctr, 'eth0').link_index).toBe(hostIndex('hm1'));
    expect(addrsOf(ctr, 'eth0')).toEqual(['10.88.0.5/24']);
    expect(ipJson(ctr, 'route', 'show', '10.99.0.0/16')[0]).toMatchObject({
      gateway: '10.88.0.1',
      dev: 'eth0',
    });
    expect(add.json.ips).toEqual([{ address: '10.88.0.5/24', gateway: '10.88.0.1', interface: 0 }]);
    expect(add.json.interfaces[0].name).toBe('eth0');
    // two interfaces in prevResult: no single master
    const two = await run(
      'ADD',
      { ...c, prevResult: { ...prevResult, interfaces: [{ name: 'a' }, { name: 'b' }] } },
      { ifName: 'net1' },
    );
    expect(two.json).toEqual({
      code: 7,
      msg: 'chained master failure. PrevResult lacks a single named interface',
    });
    expect(linkNames(ctr)).toEqual(['eth0']);
    expect((await run('DEL', c)).code).toBe(0);
    expect(linkNames(ctr)).toEqual([]);
  });

  it('linkInContainer: the master and its default route live in the container', async () => {
    vethPair(ctr, 'cm0', 'cm0p');
    ip(ctr, 'addr', 'add', '198.51.100.2/24', 'dev', 'cm0');
    ip(ctr, 'route', 'add', 'default', 'via', '198.51.100.1', 'dev', 'cm0');
    const c = conf('1.0.0', {
      linkInContainer: true,
      ipam: hostLocal(data.path, '10.66.0.0/24', '10.66.0.1'),
    });
    const add = await run('ADD', c, { ifName: 'net1' });
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const l = linkInfo(ctr, 'net1');
    expect(l.linkinfo.info_kind).toBe('ipvlan');
    expect(l.link).toBe('cm0');
    expect((await run('CHECK', { ...c, prevResult: add.json }, { ifName: 'net1' })).code).toBe(0);
    expect((await run('DEL', c, { ifName: 'net1' })).code).toBe(0);
    expect(linkNames(ctr).sort()).toEqual(['cm0', 'cm0p']);
  });

  it('rolls back link and addresses when configuring fails; DEL works with the master gone', async () => {
    const ipam = { ...hostLocal(data.path), routes: [{ dst: '10.99.0.0/16', gw: '10.88.0.1' }] };
    const bad = await run('ADD', conf('1.1.0', { ipam }));
    expect(bad.code).not.toBe(0);
    expect(linkNames(ctr)).toEqual([]);
    expect(reserved()).toEqual([]);
    const c = conf('1.1.0');
    expect((await run('ADD', c)).code).toBe(0);
    // the master and with it the default route go away: DEL still succeeds (the reference
    // resolves the default-route interface first and fails)
    ip(host, 'link', 'del', 'hm0');
    const del = await run('DEL', c);
    expect(del.stdout + del.stderr).toBe('');
    expect(del.code).toBe(0);
    expect(reserved()).toEqual([]);
  });

  it('side by side with the Go plugin: same kernel state; each CHECKs and DELs the other', async () => {
    const goBin = join(GO_CNI, 'ipvlan');
    expect(existsSync(goBin)).toBe(true);
    const other = makeNetNS('ivg');
    try {
      const c = conf('1.0.0', { master: 'hm1', mode: 'l3', mtu: 1400 });
      const go = await run('ADD', c, { bin: goBin, netns: other.path, containerID: 'ctr-go' });
      expect(go.code).toBe(0);
      const ts = await run('ADD', c);
      expect(ts.code).toBe(0);
      const view = (n: TestNetNS) => {
        const l = linkInfo(n, 'eth0');
        return {
          kind: l.linkinfo.info_kind,
          mode: l.linkinfo.info_data.mode,
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
      expect(addrsOf(other, 'eth0')).toEqual(['10.77.0.2/24']);
      expect(addrsOf(ctr, 'eth0')).toEqual(['10.77.0.3/24']);
      const noAddr = (ips: { address: string }[]) => ips.map((x) => ({ ...x, address: undefined }));
      expect(noAddr(ts.json.ips)).toEqual(noAddr(go.json.ips));
      expect(ts.json.interfaces).toEqual([
        { name: 'eth0', mac: linkInfo(ctr, 'eth0').address, sandbox: ctr.path },
      ]);
      const tsCheckGo = await run(
        'CHECK',
        { ...c, prevResult: go.json },
        { netns: other.path, containerID: 'ctr-go' },
      );
      expect(tsCheckGo.code).toBe(0);
      const goCheckTs = await run('CHECK', { ...c, prevResult: ts.json }, { bin: goBin });
      expect(goCheckTs.stdout + goCheckTs.stderr).toBe('');
      expect(goCheckTs.code).toBe(0);
      expect((await run('DEL', c, { netns: other.path, containerID: 'ctr-go' })).code).toBe(0);
      expect((await run('DEL', c, { bin: goBin })).code).toBe(0);
      expect(linkNames(other)).toEqual([]);
      expect(linkNames(ctr)).toEqual([]);
      expect(reserved()).toEqual([]);
    } finally {
      destroyNetNS(other);
    }
  });
});
