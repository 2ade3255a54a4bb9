// dummy as a real process (dist/cni/bin/dummy) in the User-Mode Linux lane (this machine's
// kernel has no dummy driver): every spec version, kernel state, CHECK, rollback, idempotent DEL.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ALL_VERSIONS,
  addrsOf,
  destroyNetNS,
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
} from '@cni-internal/test-kit';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

let bin: string;
let host: TestNetNS;
let ctr: TestNetNS;
let data: TempDir;

beforeAll(() => {
  requireKernelFeature('dummy');
  bin = ourBin('dummy');
});

beforeEach(() => {
  host = makeNetNS('dmh');
  ctr = makeNetNS('dmc');
  data = tempDir('cni-dummy-');
});

afterEach(() => {
  destroyNetNS(host);
  destroyNetNS(ctr);
  data.cleanup();
});

const conf = (v: string, extra: object = {}) => ({
  cniVersion: v,
  name: 'dmnet',
  type: 'dummy',
  ipam: hostLocal(data.path),
  ...extra,
});
const run = (command: string, stdin: object, netns = ctr.path) =>
  runIn(host, bin, { command, containerID: 'ctr-dm', netns, stdin });

const reserved = (): string[] => {
  const dir = join(data.path, 'dmnet');
  return existsSync(dir) ? readdirSync(dir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
};

describe('dummy process (UML lane)', () => {
  it.each(ALL_VERSIONS)('ADD/CHECK/DEL with host-local, cniVersion %s', async (v) => {
    const c = conf(v);
    const add = await run('ADD', c);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const l = linkInfo(ctr, 'eth0');
    expect(l.linkinfo.info_kind).toBe('dummy');
    expect(l.flags).toContain('UP');
    expect(addrsOf(ctr, 'eth0')).toEqual(['10.77.0.2/24']);
    expect(ipJson(ctr, 'route', 'show', 'default')[0]).toMatchObject({ gateway: '10.77.0.1', dev: 'eth0' });
    // nothing in the plugin's own ("host") namespace
    expect(linkNames(host)).toEqual([]);
    if (v.startsWith('0.1') || v.startsWith('0.2')) {
      expect(add.json).toMatchObject({
        cniVersion: v,
        ip4: { ip: '10.77.0.2/24', gateway: '10.77.0.1', routes: [{ dst: '0.0.0.0/0' }] },
      });
    } else {
      expect(add.json.cniVersion).toBe(v);
      expect(add.json.interfaces).toEqual([{ name: 'eth0', mac: l.address, sandbox: ctr.path }]);
      expect(add.json.ips[0]).toMatchObject({ address: '10.77.0.2/24', gateway: '10.77.0.1', interface: 0 });
    }
    expect(reserved()).toEqual(['10.77.0.2']);
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

  it('CHECK fails on a link that is down, a missing address, or a wrong type', async () => {
    const c = conf('1.1.0');
    const add = await run('ADD', c);
    expect(add.code).toBe(0);
    ip(ctr, 'link', 'set', 'eth0', 'down');
    const down = await run('CHECK', { ...c, prevResult: add.json });
    expect(down.code).not.toBe(0);
    expect(down.json.msg).toBe('Interface eth0 is down');
    ip(ctr, 'link', 'set', 'eth0', 'up');
    ip(ctr, 'addr', 'del', '10.77.0.2/24', 'dev', 'eth0');
    const noAddr = await run('CHECK', { ...c, prevResult: add.json });
    expect(noAddr.code).not.toBe(0);
    expect(noAddr.json.msg).toContain('10.77.0.2');
    ip(ctr, 'link', 'del', 'eth0');
    ip(ctr, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'p0');
    ip(ctr, 'link', 'set', 'eth0', 'up');
    const veth = await run('CHECK', {
      ...c,
      prevResult: { ...add.json, interfaces: [{ name: 'eth0', sandbox: ctr.path }] },
    });
    expect(veth.json.msg).toBe('Error: Container interface eth0 not of type dummy');
    expect((await run('DEL', c)).code).toBe(0);
  });

  it('rolls back the link when IPAM fails, and link and address when configuring fails', async () => {
    const bad = await run('ADD', conf('1.1.0', { ipam: { type: 'no-such-ipam' } }));
    expect(bad.code).not.toBe(0);
    expect(bad.json.msg).toContain('no-such-ipam');
    expect(linkNames(ctr)).toEqual([]);
    // a route via a gateway that is not on the link: the kernel refuses it after IPAM ADD
    const ipam = { ...hostLocal(data.path), routes: [{ dst: '10.99.0.0/16', gw: '10.88.0.1' }] };
    const unreachable = await run('ADD', conf('1.1.0', { ipam }));
    expect(unreachable.code).not.toBe(0);
    expect(linkNames(ctr)).toEqual([]);
    expect(reserved()).toEqual([]);
  });

  it('a clash with an existing link in the container fails before IPAM and leaves it alone', async () => {
    ip(ctr, 'link', 'add', 'eth0', 'mtu', '1280', 'type', 'dummy');
    const clash = await run('ADD', conf('1.1.0'));
    expect(clash.code).not.toBe(0);
    expect(clash.json.msg).toMatch(/^failed to create dummy: /);
    expect(linkInfo(ctr, 'eth0').mtu).toBe(1280);
    expect(reserved()).toEqual([]);
  });

  it('creates the link in the container even when the host has a link of the same name', async () => {
    ip(host, 'link', 'add', 'eth0', 'type', 'dummy');
    const add = await run('ADD', conf('1.0.0'));
    expect(add.code).toBe(0);
    expect(linkInfo(ctr, 'eth0').linkinfo.info_kind).toBe('dummy');
    expect(linkNames(host)).toEqual(['eth0']);
    expect((await run('DEL', conf('1.0.0'))).code).toBe(0);
    expect(linkNames(host)).toEqual(['eth0']);
  });
});
