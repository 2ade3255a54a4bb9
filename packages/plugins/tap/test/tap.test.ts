// tap as a real process (dist/cni/bin/tap) in throwaway "host" and "container" namespaces.
// (The Go reference's tap plugin is not in Debian's v1.1.1: there is no side-by-side run.)
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
  linkInfo,
  linkNames,
  ourBin,
  runIn,
  type TempDir,
  tempDir,
} from '@cni-internal/test-kit';

let bin: string;
let host: TestNetNS;
let ctr: TestNetNS;
let data: TempDir;

beforeAll(() => {
  bin = ourBin('tap');
});

beforeEach(() => {
  host = makeNetNS('tph');
  ctr = makeNetNS('tpc');
  data = tempDir('cni-tap-');
});

afterEach(() => {
  destroyNetNS(host);
  destroyNetNS(ctr);
  data.cleanup();
});

const conf = (v: string, extra: object = {}) => ({ cniVersion: v, name: 'tapnet', type: 'tap', ...extra });
const run = (
  command: string,
  stdin: object,
  extra: { args?: string; ifName?: string; netns?: string; env?: Record<string, string> } = {},
  where: TestNetNS = host,
) =>
  runIn(where, bin, {
    command,
    containerID: 'ctr-tap',
    netns: extra.netns ?? ctr.path,
    stdin,
    ...(extra.args ? { args: extra.args } : {}),
    ...(extra.ifName ? { ifName: extra.ifName } : {}),
    ...(extra.env ? { env: extra.env } : {}),
  });

const reserved = (): string[] => {
  const dir = join(data.path, 'tapnet');
  return existsSync(dir) ? readdirSync(dir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
};

describe('tap process', () => {
  it('VERSION lists every spec version', async () => {
    const r = await run('VERSION', {});
    expect(r.json.supportedVersions).toEqual(ALL_VERSIONS);
  });

  it.each(ALL_VERSIONS)('ADD/CHECK/DEL with host-local IPAM, cniVersion %s', async (v) => {
    const c = conf(v, { ipam: hostLocal(data.path), dns: { nameservers: ['10.77.0.53'] } });
    const add = await run('ADD', c);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const l = linkInfo(ctr, 'eth0');
    expect(l.linkinfo.info_kind).toBe('tun');
    expect(l.linkinfo.info_data).toMatchObject({ type: 'tap', pi: false, persist: true });
    expect(l.flags).toContain('UP');
    expect(addrsOf(ctr, 'eth0')).toEqual(['10.77.0.2/24']);
    expect(inNs(ctr, 'cat', '/proc/sys/net/ipv4/conf/eth0/arp_notify').trim()).toBe('1');
    expect(linkNames(host)).toEqual([]);
    if (v.startsWith('0.1') || v.startsWith('0.2')) {
      expect(add.json.ip4.ip).toBe('10.77.0.2/24');
      expect(add.json.dns).toEqual({ nameservers: ['10.77.0.53'] });
    } else {
      expect(add.json.interfaces).toEqual([{ name: 'eth0', mac: l.address, sandbox: ctr.path }]);
      expect(add.json.ips[0]).toMatchObject({ address: '10.77.0.2/24', interface: 0 });
    }
    if (v === '0.4.0' || v.startsWith('1.')) {
      const check = await run('CHECK', { ...c, prevResult: add.json });
      expect(check.stdout + check.stderr).toBe('');
      expect(check.code).toBe(0);
    }
    expect((await run('DEL', c)).code).toBe(0);
    expect(linkNames(ctr)).toEqual([]);
    expect(reserved()).toEqual([]);
    expect((await run('DEL', c)).code).toBe(0);
  });

  it('mtu, MAC precedence, multi-queue, owner and group (vnet header on the netlink path)', async () => {
    const c = conf('1.1.0', {
      mtu: 1400,
      mac: '02:00:00:00:00:01',
      multiQueue: true,
      owner: 54321,
      group: 54322,
      runtimeConfig: { mac: '02:00:00:00:00:03' },
    });
    const add = await run('ADD', c, { args: 'MAC=02:00:00:00:00:02' });
    expect(add.code, add.stdout).toBe(0);
    const l = linkInfo(ctr, 'eth0');
    expect(l.mtu).toBe(1400);
    expect(l.address).toBe('02:00:00:00:00:03');
    expect(l.linkinfo.info_data).toMatchObject({
      type: 'tap',
      vnet_hdr: true,
      multi_queue: true,
      user: 54321,
    });
    expect(String(l.linkinfo.info_data.group)).toBe('54322');
    expect(add.json).toEqual({
      cniVersion: '1.1.0',
      interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:03', sandbox: ctr.path }],
    });
    expect((await run('CHECK', { ...c, prevResult: add.json })).code).toBe(0);
    const wrongMtu = await run('CHECK', { ...c, mtu: 1300, prevResult: add.json });
    expect(wrongMtu.json.msg).toContain("MTU 1400 doesn't match configured MTU 1300");

    // only an owner: the reference's `ip tuntap` path (no vnet header)
    const add2 = await run('ADD', conf('1.1.0', { owner: 54321 }), {
      args: 'MAC=02:00:00:00:00:02',
      ifName: 'net1',
    });
    expect(add2.code).toBe(0);
    const l2 = linkInfo(ctr, 'net1');
    expect(l2.address).toBe('02:00:00:00:00:02');
    expect(l2.linkinfo.info_data).toMatchObject({ vnet_hdr: false, multi_queue: false, user: 54321 });
  });

  it('attaches the tap to a bridge inside the container namespace', async () => {
    ip(ctr, 'link', 'add', 'br0', 'type', 'bridge');
    const add = await run('ADD', conf('1.0.0', { bridge: 'br0' }));
    expect(add.code).toBe(0);
    expect(linkInfo(ctr, 'eth0').master).toBe('br0');
    // a bridge of that name in the host namespace is not used
    ip(host, 'link', 'add', 'br1', 'type', 'bridge');
    const miss = await run('ADD', conf('1.0.0', { bridge: 'br1' }), { ifName: 'net1' });
    expect(miss.code).toBe(1);
    expect(miss.json.msg).toBe('failed to get bridge br1: Link not found');
    expect(linkNames(ctr).sort()).toEqual(['br0', 'eth0']);
  });

  it('rejects bad configurations naming key and value, before creating anything', async () => {
    const cases: [object, number, string][] = [
      [{ mtu: 'x' }, 6, 'key "mtu" must be an integer, got string "x"'],
      [{ mtu: 10 }, 7, 'invalid "mtu" 10: must be at least 68'],
      [{ owner: -1 }, 7, 'invalid "owner" -1'],
      [{ group: 2 ** 32 }, 7, 'invalid "group" 4294967296'],
      [{ multiQueue: 'yes' }, 6, 'key "multiQueue" must be a boolean'],
      [{ mac: 'ff:ff:ff:ff:ff:ff' }, 7, 'invalid "mac" "ff:ff:ff:ff:ff:ff": not a unicast MAC address'],
      [{ bridge: 'a/b' }, 7, 'invalid "bridge" "a/b"'],
    ];
    for (const [extra, code, text] of cases) {
      const r = await run('ADD', conf('1.0.0', extra));
      expect(r.code, JSON.stringify(extra)).toBe(1);
      expect(r.json.code, JSON.stringify(extra)).toBe(code);
      expect(r.json.msg).toContain(text);
      expect(r.stdout).not.toContain('    at ');
    }
    expect(linkNames(ctr)).toEqual([]);
  });

  it('selinuxContext on a kernel without SELinux fails before creating anything', async () => {
    const r = await run('ADD', conf('1.0.0', { selinuxContext: 'system_u:system_r:container_t:s0' }));
    expect(r.code).toBe(1);
    expect(r.json.msg).toContain('failed set socket label');
    expect(linkNames(ctr)).toEqual([]);
  });

  it('the labelled-creation helper creates the device in the namespace it runs in', async () => {
    const r = await run(
      'ADD',
      conf('1.0.0', { multiQueue: true }),
      { env: { CNI_TS_TAP_CREATE: 'tapx0' } },
      ctr,
    );
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
    expect(linkInfo(ctr, 'tapx0').linkinfo.info_data).toMatchObject({ type: 'tap', multi_queue: true });
  });

  it('rolls back the device when IPAM fails', async () => {
    const r = await run('ADD', conf('1.0.0', { ipam: { type: 'no-such-ipam' } }));
    expect(r.code).toBe(1);
    expect(linkNames(ctr)).toEqual([]);
  });

  it('DEL succeeds without netns and with a vanished netns, releasing IPAM', async () => {
    const gone = makeNetNS('tpgone');
    const c = conf('1.0.0', { ipam: hostLocal(data.path) });
    expect((await run('ADD', c, { netns: gone.path })).code).toBe(0);
    expect(reserved()).toEqual(['10.77.0.2']);
    const path = gone.path;
    destroyNetNS(gone);
    expect((await run('DEL', c, { netns: path })).code).toBe(0);
    expect(reserved()).toEqual([]);
    expect((await run('DEL', c, { netns: '' })).code).toBe(0);
  });

  it('STATUS and GC succeed and are forwarded to IPAM', async () => {
    const c = conf('1.1.0', { ipam: hostLocal(data.path) });
    expect((await run('STATUS', c)).code).toBe(0);
    expect((await run('GC', { ...c, 'cni.dev/valid-attachments': [] })).code).toBe(0);
    expect((await run('STATUS', conf('1.1.0', { ipam: { type: 'no-such' } }))).code).toBe(1);
  });
});
