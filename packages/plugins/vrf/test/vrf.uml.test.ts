// vrf needs the kernel's vrf driver, which the build machine lacks: this file runs in the
// User-Mode Linux lane (scripts/uml/run.sh packages/plugins/vrf) with the processes from
// dist/cni/bin (run `pnpm build` first). Node is slow there, so the tests are few and broad.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  destroyNetNS,
  distCniBin,
  makeNetNS,
  requireKernelFeature,
  type TestNetNS,
} from '@cni-internal/test-kit';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GO_CNI, ip, ipJson, linkInfo, ourBin, runIn } from '@cni-internal/test-kit';

let host: TestNetNS;
let conts: TestNetNS[];
let vrfBin: string;
const goBin = join(GO_CNI, 'vrf');

beforeAll(() => {
  requireKernelFeature('vrf');
  vrfBin = ourBin('vrf');
});
beforeEach(() => {
  host = makeNetNS('vrfh');
  conts = [makeNetNS('vrfc'), makeNetNS('vrfc')];
});
afterEach(() => {
  for (const c of conts) destroyNetNS(c);
  destroyNetNS(host);
});

// biome-ignore lint/suspicious/noExplicitAny: ip -j output
type J = any;

/**
 * A veth `ifName` in `c` as a main plugin would leave it: up, an IPv4 and an IPv6 address, and
 * a route through each gateway (subnets numbered by `k`). Returns the prevResult describing it.
 * `noLinkLocal` leaves out the fe80:: address (Go v1.1.1 fails re-adding it after enslaving).
 */
function mainPlugin(c: TestNetNS, ifName = 'eth0', k = 0, noLinkLocal = false) {
  const v4 = `10.${90 + k}.0.5`;
  const v6 = `fd00:${90 + k}::5`;
  const gw4 = `10.${90 + k}.0.1`;
  const gw6 = `fd00:${90 + k}::1`;
  ip(c, 'link', 'add', ifName, 'type', 'veth', 'peer', 'name', `p${ifName}`);
  if (noLinkLocal) ip(c, 'link', 'set', ifName, 'addrgenmode', 'none');
  ip(c, 'link', 'set', `p${ifName}`, 'up');
  ip(c, 'link', 'set', ifName, 'up');
  ip(c, 'addr', 'add', `${v4}/24`, 'dev', ifName);
  ip(c, '-6', 'addr', 'add', `${v6}/64`, 'dev', ifName, 'nodad');
  ip(c, 'route', 'add', `192.0.${2 + k}.0/24`, 'via', gw4, 'dev', ifName);
  ip(c, '-6', 'route', 'add', `2001:db8:${k}::/64`, 'via', gw6, 'dev', ifName);
  return {
    cniVersion: '1.1.0',
    interfaces: [{ name: ifName, sandbox: c.path }],
    ips: [
      { address: `${v4}/24`, gateway: gw4, interface: 0 },
      { address: `${v6}/64`, gateway: gw6, interface: 0 },
    ],
    routes: [
      { dst: `192.0.${2 + k}.0/24`, gw: gw4 },
      { dst: `2001:db8:${k}::/64`, gw: gw6 },
    ],
  };
}

const conf = (version: string, prevResult: unknown, extra: object = {}) => ({
  cniVersion: version,
  name: 'vrfnet',
  type: 'vrf',
  vrfname: 'vrf0',
  // the runtime hands the prevResult over in the config's version
  ...(prevResult === undefined ? {} : { prevResult: { ...(prevResult as object), cniVersion: version } }),
  ...extra,
});

const run = (command: string, c: TestNetNS, stdin: object, ifName = 'eth0', bin = vrfBin) =>
  runIn(host, bin, {
    command,
    containerID: 'vrf1',
    netns: c.path,
    ifName,
    stdin,
    path: bin === vrfBin ? distCniBin : GO_CNI,
  });

const masterOf = (c: TestNetNS, ifName: string): string | undefined => linkInfo(c, ifName)?.master;
const vrfTableOf = (c: TestNetNS, name = 'vrf0'): number | undefined =>
  linkInfo(c, name)?.linkinfo?.info_data?.table;
const globalAddrs = (c: TestNetNS, ifName: string) =>
  (ipJson(c, 'addr', 'show', 'dev', ifName)[0]?.addr_info ?? [])
    .filter((a: J) => a.scope === 'global')
    .map((a: J) => `${a.local}/${a.prefixlen}`)
    .sort();
const tableRoutes = (c: TestNetNS, table: number) =>
  [...ipJson(c, '-4', 'route', 'show', 'table', 'all'), ...ipJson(c, '-6', 'route', 'show', 'table', 'all')]
    .filter((r: J) => r.table === String(table) && r.gateway)
    .map((r: J) => `${r.dst} via ${r.gateway} dev ${r.dev}`)
    .sort();

describe('vrf, every spec version it claims', () => {
  it.each(['0.3.1', '0.4.0', '1.0.0', '1.1.0'])(
    '%s: ADD keeps addresses and routes, CHECK, DEL removes the VRF',
    async (version) => {
      const c = conts[0] as TestNetNS;
      const prev = mainPlugin(c);
      const add = await run('ADD', c, conf(version, prev));
      expect(add.stderr).toBe('');
      expect(add.code).toBe(0);
      expect(add.json.cniVersion).toBe(version);
      expect(add.json.ips.map((x: J) => x.address)).toEqual(['10.90.0.5/24', 'fd00:90::5/64']);

      expect(linkInfo(c, 'vrf0').linkinfo.info_kind).toBe('vrf');
      expect(linkInfo(c, 'vrf0').operstate).not.toBe('DOWN');
      expect(vrfTableOf(c)).toBe(1);
      expect(masterOf(c, 'eth0')).toBe('vrf0');
      // the global IPv6 address survived enslaving; the gateway routes moved into the VRF's table
      expect(globalAddrs(c, 'eth0')).toEqual(['10.90.0.5/24', 'fd00:90::5/64']);
      expect(tableRoutes(c, 1)).toEqual([
        '192.0.2.0/24 via 10.90.0.1 dev eth0',
        '2001:db8::/64 via fd00:90::1 dev eth0',
      ]);

      if (version !== '0.3.1') {
        const check = await run('CHECK', c, conf(version, add.json));
        expect(check.stderr).toBe('');
        expect(check.code).toBe(0);
      }

      const del = await run('DEL', c, conf(version, add.json));
      expect(del.stderr).toBe('');
      expect(del.code).toBe(0);
      expect(linkInfo(c, 'vrf0')).toBeUndefined();
      expect(masterOf(c, 'eth0')).toBeUndefined();
      const again = await run('DEL', c, conf(version, add.json));
      expect(again.code).toBe(0);
    },
  );
});

describe('vrf behaviour', () => {
  it('shared VRF: fixed table, second VRF gets the next table, last DEL removes it; conflicts refused', async () => {
    const c = conts[0] as TestNetNS;
    const p0 = mainPlugin(c, 'eth0', 0);
    const p1 = mainPlugin(c, 'eth1', 1);
    const p2 = mainPlugin(c, 'eth2', 2);
    expect((await run('ADD', c, conf('1.1.0', p0, { table: 42 }))).code).toBe(0);
    expect((await run('ADD', c, conf('1.1.0', p1, { table: 42 }), 'eth1')).code).toBe(0);
    expect(vrfTableOf(c)).toBe(42);
    expect([masterOf(c, 'eth0'), masterOf(c, 'eth1')]).toEqual(['vrf0', 'vrf0']);

    // same VRF name, another table: refused, eth2 untouched
    const clash = await run('ADD', c, conf('1.1.0', p2, { table: 43 }), 'eth2');
    expect(clash.json).toMatchObject({
      code: 999,
      msg: 'VRF vrf0 already exist with different routing table 42',
    });
    expect(masterOf(c, 'eth2')).toBeUndefined();
    // another VRF, automatic table: the lowest one no VRF uses
    const other = await run('ADD', c, conf('1.1.0', p2, { vrfname: 'vrf1' }), 'eth2');
    expect(other.code).toBe(0);
    expect(vrfTableOf(c, 'vrf1')).toBe(1);
    // an interface that already has a master: refused; the VRF made for it is removed again
    const busy = await run('ADD', c, conf('1.1.0', p2, { vrfname: 'vrf2' }), 'eth2');
    expect(busy.json).toMatchObject({ code: 999, msg: 'interface eth2 has already a master set: vrf1' });
    expect(linkInfo(c, 'vrf2')).toBeUndefined();

    expect((await run('DEL', c, conf('1.1.0', p0, { table: 42 }))).code).toBe(0);
    expect(masterOf(c, 'eth0')).toBeUndefined();
    expect(masterOf(c, 'eth1')).toBe('vrf0');
    expect((await run('DEL', c, conf('1.1.0', p1, { table: 42 }), 'eth1')).code).toBe(0);
    expect(linkInfo(c, 'vrf0')).toBeUndefined();
  });

  it('DEL succeeds when the interface, the VRF or the netns is gone; CHECK reports a missing member', async () => {
    const c = conts[0] as TestNetNS;
    const prev = mainPlugin(c);
    expect((await run('ADD', c, conf('1.1.0', prev))).code).toBe(0);
    const check = await run('CHECK', c, conf('1.1.0', prev), 'eth1');
    expect(check.json).toMatchObject({ code: 999, msg: 'failed to find eth1 associated to vrf vrf0' });
    // the interface is gone (the main plugin's DEL ran first): the now empty VRF is removed
    ip(c, 'link', 'del', 'eth0');
    const del = await run('DEL', c, conf('1.1.0', prev));
    expect(del.stderr).toBe('');
    expect(del.code).toBe(0);
    expect(linkInfo(c, 'vrf0')).toBeUndefined();
    // no VRF at all
    expect((await run('DEL', c, conf('1.1.0', prev))).code).toBe(0);
    // no netns
    const gone = conts.pop() as TestNetNS;
    const path = gone.path;
    destroyNetNS(gone);
    const r = await runIn(host, vrfBin, {
      command: 'DEL',
      containerID: 'vrf1',
      netns: path,
      ifName: 'eth0',
      stdin: conf('1.1.0', undefined),
    });
    expect(r.code).toBe(0);
    // configuration errors
    const bad = await run('ADD', c, { cniVersion: '1.1.0', name: 'n', type: 'vrf', prevResult: prev });
    expect(bad.json).toMatchObject({ code: 7, msg: 'configuration is expected to have a valid vrf name' });
    const noPrev = await run('ADD', c, conf('1.1.0', undefined));
    expect(noPrev.json).toMatchObject({ code: 999, msg: 'missing prevResult from earlier plugin' });
  });

  it('an IPv6 address that went through DAD is restored and usable in the VRF', async () => {
    const c = conts[0] as TestNetNS;
    ip(c, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peth0');
    ip(c, 'link', 'set', 'peth0', 'up');
    ip(c, 'link', 'set', 'eth0', 'up');
    ip(c, '-6', 'addr', 'add', 'fd00:95::5/64', 'dev', 'eth0');
    const tentative = () =>
      (ipJson(c, '-6', 'addr', 'show', 'dev', 'eth0')[0]?.addr_info ?? []).some(
        (a: J) => a.local === 'fd00:95::5' && (a.tentative || a.dadfailed),
      );
    // as a main plugin does before the chain goes on: wait (bounded) for DAD to finish
    for (let i = 0; i < 500 && tentative(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(tentative()).toBe(false);
    const prev = {
      cniVersion: '1.1.0',
      interfaces: [{ name: 'eth0', sandbox: c.path }],
      ips: [{ address: 'fd00:95::5/64', interface: 0 }],
    };
    const add = await run('ADD', c, conf('1.1.0', prev));
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(globalAddrs(c, 'eth0')).toEqual(['fd00:95::5/64']);
    const local = ipJson(c, '-6', 'route', 'show', 'table', 'all').filter(
      (r: J) => r.type === 'local' && r.dst === 'fd00:95::5',
    );
    expect(local.map((r: J) => r.table)).toEqual(['1']);
  });

  it('side by side with Go vrf: same VRF and enslaving; each DEL undoes the other ADD', async () => {
    if (!existsSync(goBin)) throw new Error(`${goBin} missing: apt-get install containernetworking-plugins`);
    const [a, b] = conts as [TestNetNS, TestNetNS];
    const pa = mainPlugin(a, 'eth0', 0, true);
    const pb = mainPlugin(b, 'eth0', 0, true);
    const go = await run('ADD', a, conf('1.0.0', pa), 'eth0', goBin);
    expect({ code: go.code, out: go.stdout }).toEqual({ code: 0, out: expect.stringContaining('"ips"') });
    const ts = await run('ADD', b, conf('1.0.0', pb));
    expect(ts.code).toBe(0);
    for (const c of [a, b]) {
      expect(vrfTableOf(c)).toBe(1);
      expect(masterOf(c, 'eth0')).toBe('vrf0');
      expect(globalAddrs(c, 'eth0')).toEqual(['10.90.0.5/24', 'fd00:90::5/64']);
    }
    // (Debian's Go vrf is v1.1.1, before the route preservation of v1.9.1: ours keeps them)
    expect(tableRoutes(b, 1)).toEqual([
      '192.0.2.0/24 via 10.90.0.1 dev eth0',
      '2001:db8::/64 via fd00:90::1 dev eth0',
    ]);
    // each CHECKs the other's ADD
    expect((await run('CHECK', a, conf('1.0.0', pa))).code).toBe(0);
    expect((await run('CHECK', b, conf('1.0.0', pb), 'eth0', goBin)).code).toBe(0);
    // each DELs the other's ADD
    expect((await run('DEL', a, conf('1.0.0', pa))).code).toBe(0);
    expect((await run('DEL', b, conf('1.0.0', pb), 'eth0', goBin)).code).toBe(0);
    for (const c of [a, b]) {
      expect(linkInfo(c, 'vrf0')).toBeUndefined();
      expect(masterOf(c, 'eth0')).toBeUndefined();
    }
  });
});
