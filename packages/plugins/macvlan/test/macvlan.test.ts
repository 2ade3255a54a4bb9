// macvlan as a real process (dist/cni/bin/macvlan) in throwaway "host" and "container"
// namespaces: every spec version and verb, kernel state, errors, rollback, idempotent DEL.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ALL_VERSIONS,
  addrsOf,
  hostLocal,
  inNs,
  ip,
  ipJson,
  linkInfo,
  linkNames,
  ourBin,
  runIn,
  type TempDir,
  tempDir,
  vethPair,
} from '@cni-internal/test-kit';

let bin: string;
let host: TestNetNS;
let ctr: TestNetNS;
let data: TempDir;

beforeAll(() => {
  bin = ourBin('macvlan');
});

beforeEach(() => {
  host = makeNetNS('mvh');
  ctr = makeNetNS('mvc');
  data = tempDir('cni-macvlan-');
  // hm0 stands in for the host NIC; it carries the default route.
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

const conf = (v: string, extra: object = {}) => ({ cniVersion: v, name: 'mvnet', type: 'macvlan', ...extra });
const run = (
  command: string,
  stdin: object,
  extra: { args?: string; ifName?: string; netns?: string } = {},
) => runIn(host, bin, { command, containerID: 'ctr-mv', netns: extra.netns ?? ctr.path, stdin, ...extra });

/** Addresses host-local holds for the network. */
const reserved = (): string[] => {
  const dir = join(data.path, 'mvnet');
  return existsSync(dir) ? readdirSync(dir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
};

const hostIndex = (name: string): number => ipJson(host, 'link', 'show', name)[0].ifindex;

describe('macvlan process', () => {
  it('VERSION lists every spec version', async () => {
    const r = await run('VERSION', {});
    expect(r.code).toBe(0);
    expect(r.json).toEqual({ cniVersion: '1.1.0', supportedVersions: ALL_VERSIONS });
  });

  it.each(ALL_VERSIONS)('ADD/CHECK/DEL with host-local IPAM, cniVersion %s', async (v) => {
    const c = conf(v, { master: 'hm1', ipam: hostLocal(data.path), dns: { nameservers: ['10.77.0.53'] } });
    const add = await run('ADD', c);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const l = linkInfo(ctr, 'eth0');
    expect(l.linkinfo.info_kind).toBe('macvlan');
    expect(l.linkinfo.info_data.mode).toBe('bridge');
    expect(l.link_index).toBe(hostIndex('hm1'));
    expect(l.operstate === 'UP' || l.flags.includes('UP')).toBe(true);
    expect(addrsOf(ctr, 'eth0')).toEqual(['10.77.0.2/24']);
    expect(ipJson(ctr, 'route', 'show', 'default')[0]).toMatchObject({ gateway: '10.77.0.1', dev: 'eth0' });
    expect(inNs(ctr, 'cat', '/proc/sys/net/ipv4/conf/eth0/arp_notify').trim()).toBe('1');
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
    // the address went back to host-local
    expect(reserved()).toEqual([]);
    const again = await run('DEL', c);
    expect(again.code).toBe(0);
  });

  it('L2 only: mode, mtu, mac from runtimeConfig over CNI_ARGS over config, bcqueuelen', async () => {
    const c = conf('1.1.0', {
      master: 'hm0',
      mode: 'private',
      mtu: 1400,
      mac: '02:00:00:00:00:01',
      bcqueuelen: 3000,
      runtimeConfig: { mac: '02:00:00:00:00:03' },
    });
    const add = await run('ADD', c, { args: 'IgnoreUnknown=1;MAC=02:00:00:00:00:02' });
    expect(add.code).toBe(0);
    const l = linkInfo(ctr, 'eth0');
    expect(l.linkinfo.info_data).toMatchObject({ mode: 'private', bcqueuelen: 3000 });
    expect(l.mtu).toBe(1400);
    expect(l.address).toBe('02:00:00:00:00:03');
    expect(l.flags).toContain('UP');
    expect(add.json).toEqual({
      cniVersion: '1.1.0',
      interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:03', sandbox: ctr.path }],
    });
    const noRc = conf('1.1.0', { master: 'hm1', mac: '02:00:00:00:00:01' });
    const add2 = await run('ADD', noRc, { args: 'MAC=02:00:00:00:00:02', ifName: 'net1' });
    expect(add2.code).toBe(0);
    expect(linkInfo(ctr, 'net1').address).toBe('02:00:00:00:00:02');
    expect((await run('CHECK', { ...c, prevResult: add.json })).code).toBe(0);
    // CHECK notices a mode that differs from the configuration
    const wrong = await run('CHECK', { ...c, mode: 'vepa', prevResult: add.json });
    expect(wrong.code).not.toBe(0);
    expect(wrong.json.msg).toContain('Container macvlan mode private does not match expected value: vepa');
  });

  it('dual stack: IPv4 and IPv6 addresses, arp_notify and ndisc_notify', async () => {
    const ipam = {
      type: 'host-local',
      dataDir: data.path,
      ranges: [
        [{ subnet: '10.77.0.0/24', gateway: '10.77.0.1' }],
        [{ subnet: 'fd77::/64', gateway: 'fd77::1' }],
      ],
      routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }],
    };
    inNs(ctr, 'sysctl', '-q', '-w', 'net.ipv6.conf.default.accept_dad=0');
    const c = conf('1.0.0', { master: 'hm0', ipam });
    const add = await run('ADD', c);
    expect(add.code, add.stdout).toBe(0);
    expect(add.json.ips.map((i: { address: string }) => i.address)).toEqual(['10.77.0.2/24', 'fd77::2/64']);
    expect(addrsOf(ctr, 'eth0').sort()).toEqual(['10.77.0.2/24', 'fd77::2/64']);
    expect(inNs(ctr, 'cat', '/proc/sys/net/ipv6/conf/eth0/ndisc_notify').trim()).toBe('1');
    expect(ipJson(ctr, '-6', 'route', 'show', 'default')[0]).toMatchObject({
      gateway: 'fd77::1',
      dev: 'eth0',
    });
    expect((await run('CHECK', { ...c, prevResult: add.json })).code).toBe(0);
    expect((await run('DEL', c)).code).toBe(0);
    expect(reserved()).toEqual([]);
  });

  it('without master: the default-route interface of the host', async () => {
    const add = await run('ADD', conf('1.0.0'));
    expect(add.code).toBe(0);
    expect(linkInfo(ctr, 'eth0').link_index).toBe(hostIndex('hm0'));
  });

  it('without master, chained: the single interface of prevResult (#901)', async () => {
    const prevResult = { cniVersion: '1.0.0', interfaces: [{ name: 'hm1' }], ips: [] };
    const add = await run('ADD', conf('1.0.0', { prevResult }));
    expect(add.code).toBe(0);
    expect(linkInfo(ctr, 'eth0').link_index).toBe(hostIndex('hm1'));
    const two = {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'hm1' }, { name: 'hm0' }],
      ips: [],
    };
    const bad = await run('ADD', conf('1.0.0', { prevResult: two }), { ifName: 'net1' });
    expect(bad.code).toBe(1);
    expect(bad.json.msg).toBe('chained master failure. PrevResult lacks a single named interface');
  });

  it('linkInContainer: the master lives in the container namespace', async () => {
    vethPair(ctr, 'cm0', 'cm0p');
    const add = await run('ADD', conf('1.0.0', { master: 'cm0', linkInContainer: true }));
    expect(add.code).toBe(0);
    const l = linkInfo(ctr, 'eth0');
    expect(l.link).toBe('cm0');
    expect((await run('DEL', conf('1.0.0', { master: 'cm0', linkInContainer: true }))).code).toBe(0);
    expect(linkNames(ctr).sort()).toEqual(['cm0', 'cm0p']);
  });

  it('rejects bad configurations naming key and value, before creating anything', async () => {
    const cases: [object, number, string][] = [
      [{ master: 'hm0', mtu: 9001 }, 7, 'invalid MTU 9001, must be [0, master MTU(9000)]'],
      [{ master: 'nope0' }, 7, 'failed to lookup master "nope0"'],
      [{ master: 'hm0', mode: 'l2' }, 7, 'unknown macvlan mode: "l2"'],
      [{ master: 'hm0', mtu: 'big' }, 6, 'key "mtu" must be an integer, got string "big"'],
      [{ master: 'hm0', mac: '02:00:00:00:00' }, 7, 'invalid "mac" "02:00:00:00:00": not a MAC address'],
      [{ master: 'hm0', bcqueuelen: -1 }, 7, 'invalid "bcqueuelen" -1'],
    ];
    for (const [extra, code, text] of cases) {
      const r = await run('ADD', conf('1.0.0', extra));
      expect(r.code, JSON.stringify(extra)).toBe(1);
      expect(r.json.code, JSON.stringify(extra)).toBe(code);
      expect(r.json.msg).toContain(text);
      expect(r.stdout).not.toContain('    at ');
    }
    const badArgs = await run('ADD', conf('1.0.0', { master: 'hm0' }), { args: 'FOO=bar' });
    expect(badArgs.json.code).toBe(4);
    expect(linkNames(ctr)).toEqual([]);
  });

  it('rolls back the link when IPAM fails', async () => {
    const r = await run('ADD', conf('1.0.0', { master: 'hm0', ipam: { type: 'no-such-ipam' } }));
    expect(r.code).toBe(1);
    expect(r.json.msg).toContain('failed to find plugin "no-such-ipam"');
    expect(linkNames(ctr)).toEqual([]);
  });

  it('rolls back the link and the address when configuring the interface fails', async () => {
    // an IPAM route through a gateway outside every subnet cannot be added
    const ipam = { ...hostLocal(data.path), routes: [{ dst: '10.200.0.0/16', gw: '10.99.99.99' }] };
    const r = await run('ADD', conf('1.0.0', { master: 'hm0', ipam }));
    expect(r.code).toBe(1);
    expect(linkNames(ctr)).toEqual([]);
    expect(reserved()).toEqual([]);
  });

  it('DEL succeeds without netns, with a vanished netns and without the link; releases IPAM', async () => {
    const c = conf('1.0.0', { master: 'hm0', ipam: hostLocal(data.path) });
    expect((await run('ADD', c)).code).toBe(0);
    const gone = makeNetNS('mvgone');
    const path = gone.path;
    destroyNetNS(gone);
    const r = await run('DEL', c, { netns: path });
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
    // IPAM released even though the netns was gone
    expect(reserved()).toEqual([]);
    ip(ctr, 'link', 'del', 'eth0');
    expect((await run('ADD', c)).code).toBe(0);
    expect(reserved()).toEqual(['10.77.0.3']);
    expect((await run('DEL', c, { netns: '' })).code).toBe(0);
    expect(reserved()).toEqual([]);
    expect((await run('DEL', c)).code).toBe(0);
    expect(linkNames(ctr)).toEqual([]);
  });

  it('DEL does not look up the master (it may be gone)', async () => {
    const c = conf('1.0.0', { master: 'hm1' });
    expect((await run('ADD', c)).code).toBe(0);
    ip(host, 'link', 'del', 'hm1');
    const r = await run('DEL', c);
    expect(r.code).toBe(0);
  });

  it('STATUS and GC succeed and are forwarded to IPAM', async () => {
    const c = conf('1.1.0', { master: 'hm0', ipam: hostLocal(data.path) });
    const st = await run('STATUS', c);
    expect(st.code).toBe(0);
    const gc = await run('GC', { ...c, 'cni.dev/valid-attachments': [] });
    expect(gc.code).toBe(0);
    const badIpam = await run('STATUS', conf('1.1.0', { master: 'hm0', ipam: { type: 'no-such-ipam' } }));
    expect(badIpam.code).toBe(1);
  });
});
