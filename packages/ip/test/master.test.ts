// resolveMaster and createChildLink (shared by macvlan, ipvlan, vlan) against a real kernel,
// with macvlan (present on every test kernel) as the child kind.
import { execFileSync } from 'node:child_process';
import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { CniError } from '@cni/skel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sysctlGetIn } from '@cni/ns';
import {
  createChildLink,
  delIpamThenLink,
  type MasterConf,
  Rollback,
  resolveMaster,
  setNotifySysctls,
} from '../src/index.js';

let host: TestNetNS;
let cont: TestNetNS;
const sh = (ns: TestNetNS, ...args: string[]) =>
  execFileSync('ip', ['-n', ns.name, ...args], { encoding: 'utf8' });
// biome-ignore lint/suspicious/noExplicitAny: ip -j output
const links = (ns: TestNetNS): any[] => JSON.parse(sh(ns, '-j', '-d', 'link', 'show'));

beforeEach(() => {
  host = makeNetNS('mah');
  cont = makeNetNS('mac');
  sh(host, 'link', 'add', 'm0', 'mtu', '9000', 'type', 'veth', 'peer', 'name', 'm0p');
  sh(host, 'link', 'add', 'm1', 'type', 'veth', 'peer', 'name', 'm1p');
  for (const l of ['m0', 'm0p', 'm1', 'm1p']) sh(host, 'link', 'set', l, 'up');
  sh(host, 'addr', 'add', '192.0.2.1/24', 'dev', 'm1');
  sh(host, 'route', 'add', 'default', 'via', '192.0.2.254', 'dev', 'm1');
});
afterEach(() => {
  destroyNetNS(cont);
  destroyNetNS(host);
});

const mc = (extra: Partial<MasterConf> = {}): MasterConf => ({
  master: '',
  mtu: 0,
  linkInContainer: false,
  ...extra,
});
const cniErr = (fn: () => unknown): CniError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof CniError) return e;
    throw e;
  }
  throw new Error('no error');
};

describe('resolveMaster', () => {
  it('takes the configured master, else the default-route interface, else the prevResult interface', () => {
    const c1 = mc({ master: 'm0' });
    expect(resolveMaster(c1, host.ns, cont.ns).mtu).toBe(9000);
    const c2 = mc();
    expect(resolveMaster(c2, host.ns, cont.ns).name).toBe('m1');
    expect(c2.master).toBe('m1');
    const c3 = mc({ prevResult: { cniVersion: '1.0.0', interfaces: [{ name: 'm0' }] } });
    expect(resolveMaster(c3, host.ns, cont.ns).name).toBe('m0');
    const c4 = mc({ prevResult: { cniVersion: '1.0.0', interfaces: [{ name: 'm0' }] } });
    expect(resolveMaster(c4, host.ns, cont.ns, { fromPrevResult: false }).name).toBe('m1');
  });

  it('errors: two prevResult interfaces, missing master, MTU above the master, no default route', () => {
    const two = mc({ prevResult: { cniVersion: '1.0.0', interfaces: [{ name: 'a' }, { name: 'b' }] } });
    expect(cniErr(() => resolveMaster(two, host.ns, cont.ns)).message).toBe(
      'chained master failure. PrevResult lacks a single named interface',
    );
    expect(cniErr(() => resolveMaster(mc({ master: 'zz0' }), host.ns, cont.ns)).message).toBe(
      'failed to lookup master "zz0": Link not found',
    );
    expect(cniErr(() => resolveMaster(mc({ master: 'm1', mtu: 1501 }), host.ns, cont.ns)).message).toBe(
      'invalid MTU 1501, must be [0, master MTU(1500)]',
    );
    // linkInContainer: looked up in the container, which has no default route
    expect(cniErr(() => resolveMaster(mc({ linkInContainer: true }), host.ns, cont.ns)).message).toBe(
      'no default route interface found',
    );
  });
});

describe('createChildLink', () => {
  it('creates under a temporary name in the container, renames, and the rollback deletes it', async () => {
    const rb = new Rollback();
    const m = resolveMaster(mc({ master: 'm0' }), host.ns, cont.ns);
    // the helper creates from this process's namespace: run it inside the test's host namespace
    let made: ReturnType<typeof createChildLink> | undefined;
    host.run(() => {
      made = createChildLink(
        { kind: 'macvlan', parent: m.index, mode: 'bridge', mtu: 1400 },
        'eth0',
        cont.ns,
        false,
        rb,
      );
    });
    const l = links(cont).find((x) => x.ifname === 'eth0');
    expect(l.linkinfo.info_kind).toBe('macvlan');
    expect(l.mtu).toBe(1400);
    expect(made).toEqual({ name: 'eth0', mac: l.address, index: l.ifindex });
    expect(
      links(host)
        .map((x) => x.ifname)
        .sort(),
    ).toEqual(['lo', 'm0', 'm0p', 'm1', 'm1p']);
    await rb.run();
    expect(links(cont).map((x) => x.ifname)).toEqual(['lo']);
  });

  it('a name clash in the container removes the temporary link and names the kind', () => {
    sh(cont, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'p0');
    const rb = new Rollback();
    const m = resolveMaster(mc({ master: 'm0' }), host.ns, cont.ns);
    const e = cniErr(() =>
      host.run(() =>
        createChildLink({ kind: 'macvlan', parent: m.index, mode: 'vepa' }, 'eth0', cont.ns, false, rb),
      ),
    );
    expect(e.message).toMatch(/^failed to rename macvlan to "eth0": /);
    expect(
      links(cont)
        .map((x) => x.ifname)
        .sort(),
    ).toEqual(['eth0', 'lo', 'p0']);
  });

  it('linkInContainer: master and child both in the container', () => {
    sh(cont, 'link', 'add', 'c0', 'type', 'veth', 'peer', 'name', 'c0p');
    const conf = mc({ master: 'c0', linkInContainer: true });
    const m = resolveMaster(conf, host.ns, cont.ns);
    createChildLink(
      { kind: 'macvlan', parent: m.index, mode: 'private' },
      'net1',
      cont.ns,
      true,
      new Rollback(),
    );
    const l = links(cont).find((x) => x.ifname === 'net1');
    expect(l.link).toBe('c0');
    expect(l.linkinfo.info_data.mode).toBe('private');
  });
});

describe('delIpamThenLink and setNotifySysctls', () => {
  it('deletes the link; no netns, a gone netns, a missing link and a repeat succeed', async () => {
    sh(cont, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'p0');
    const conf = { cniVersion: '1.0.0', name: 'n', type: 't', raw: {} };
    const stdin = Buffer.from('{}');
    await delIpamThenLink(conf, stdin, '', 'eth0');
    expect(
      links(cont)
        .map((x) => x.ifname)
        .sort(),
    ).toEqual(['eth0', 'lo', 'p0']);
    await delIpamThenLink(conf, stdin, '/run/netns/cni-no-such-ns', 'eth0');
    await delIpamThenLink(conf, stdin, cont.path, 'eth0');
    expect(links(cont).map((x) => x.ifname)).toEqual(['lo']);
    await delIpamThenLink(conf, stdin, cont.path, 'eth0');
  });

  it('sets arp_notify and ndisc_notify in the given namespace only', () => {
    sh(cont, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'p0');
    setNotifySysctls(cont.ns, 'eth0');
    expect(sysctlGetIn(cont.ns, 'net/ipv4/conf/eth0/arp_notify')).toBe('1');
    expect(sysctlGetIn(cont.ns, 'net/ipv6/conf/eth0/ndisc_notify')).toBe('1');
    // a missing interface is ignored, as the reference does
    setNotifySysctls(cont.ns, 'nope0');
  });
});
