import { execFileSync } from 'node:child_process';
import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  conntrackDeleteByDstPort,
  isExists,
  isNotFound,
  Netlink,
  nftTableExists,
  tuntapCreate,
} from '../src/index.js';
import { ipJson } from './helpers.js';

function catchErr(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

function inNs(t: TestNetNS, cmd: string, ...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', t.name, cmd, ...args], { encoding: 'utf8' });
}

describe('traffic control', () => {
  let t: TestNetNS;
  let nl: Netlink;
  beforeEach(() => {
    t = makeNetNS('nltc');
    nl = Netlink.open(t.ns);
  });
  afterEach(() => {
    nl.close();
    destroyNetNS(t);
  });

  it('adds a tbf root qdisc like tc, lists and deletes it', () => {
    const v = nl.linkAdd({ kind: 'veth', name: 't0', peerName: 't1' });
    // 1 Mbit/s = 125000 bytes/s, a 10 kB burst in psched ticks (the reference's arithmetic).
    nl.qdiscAddTbf(v.index, { handle: 0x10000, rate: 125000, buffer: 5120000, limit: 25000 });
    const q = nl.qdiscList(v.index).find((x) => x.kind === 'tbf');
    expect(q).toEqual({
      index: v.index,
      handle: 0x10000,
      parent: 0xffffffff,
      kind: 'tbf',
      tbf: { rate: 125000, buffer: 5120000, limit: 25000 },
    });
    const tc = JSON.parse(inNs(t, 'tc', '-j', 'qdisc', 'show', 'dev', 't0')) as {
      kind: string;
      handle: string;
      root?: boolean;
      options: { rate: number; limit: number };
    }[];
    expect(tc[0]).toMatchObject({
      kind: 'tbf',
      handle: '1:',
      root: true,
      options: { rate: 125000, limit: 25000 },
    });
    expect(
      isExists(
        catchErr(() =>
          nl.qdiscAddTbf(v.index, { handle: 0x10000, rate: 125000, buffer: 5120000, limit: 25000 }),
        ),
      ),
    ).toBe(true);
    nl.qdiscDel(v.index, 'root');
    expect(nl.qdiscList(v.index).some((x) => x.kind === 'tbf')).toBe(false);
    expect(isNotFound(catchErr(() => nl.qdiscDel(v.index, 'root')))).toBe(true);
    expect(() => nl.qdiscAddTbf(v.index, { handle: 0x10000, rate: -5, buffer: 1, limit: 1 })).toThrow(
      /invalid rate -5/,
    );
  });

  it('takes a rate above 4 GiB/s through TCA_TBF_RATE64', () => {
    const v = nl.linkAdd({ kind: 'veth', name: 'f0', peerName: 'f1' });
    nl.qdiscAddTbf(v.index, { handle: 0x10000, rate: 6_000_000_000, buffer: 1000, limit: 100000 });
    expect(nl.qdiscList(v.index).find((x) => x.kind === 'tbf')?.tbf?.rate).toBe(6_000_000_000);
  });

  it('adds an ingress qdisc and a u32 filter redirecting to an ifb, like the bandwidth plugin', () => {
    const v = nl.linkAdd({ kind: 'veth', name: 'h0', peerName: 'h1' });
    const ifb = nl.linkAdd({ kind: 'ifb', name: 'bwp0' });
    nl.qdiscAddIngress(v.index);
    const ing = nl.qdiscList(v.index).find((x) => x.kind === 'ingress');
    expect(ing).toMatchObject({ handle: 0xffff0000, parent: 0xfffffff1 });
    nl.filterAddU32MirredRedirect(v.index, 0xffff0000, ifb.index);
    const out = inNs(t, 'tc', 'filter', 'show', 'dev', 'h0', 'parent', 'ffff:');
    expect(out).toMatch(/u32/);
    expect(out).toMatch(/pref 1/);
    expect(out).toMatch(/flowid 1:1/);
    expect(out).toMatch(/match 00000000\/00000000 at 0/);
    expect(out).toMatch(/mirred \(Egress Redirect to device bwp0\) stolen/);
    expect(out).toMatch(/protocol all/);
    nl.qdiscDel(v.index, 'ingress');
    expect(nl.qdiscList(v.index).some((x) => x.kind === 'ingress')).toBe(false);
  });

  it("installs one mirred action per control, as the Go reference's ['stolen', 'pass']", () => {
    const v = nl.linkAdd({ kind: 'veth', name: 'h2', peerName: 'h3' });
    const ifb = nl.linkAdd({ kind: 'ifb', name: 'bwp1' });
    nl.qdiscAddIngress(v.index);
    nl.filterAddU32MirredRedirect(v.index, 0xffff0000, ifb.index, { controls: ['stolen', 'pass'] });
    const f = JSON.parse(inNs(t, 'tc', '-j', 'filter', 'show', 'dev', 'h2', 'parent', 'ffff:'));
    const acts = f.find((x: { options?: { actions?: unknown } }) => x.options?.actions).options.actions;
    expect(
      acts.map((a: { order: number; kind: string; to_dev: string; control_action: { type: string } }) => [
        a.order,
        a.kind,
        a.to_dev,
        a.control_action.type,
      ]),
    ).toEqual([
      [1, 'mirred', 'bwp1', 'stolen'],
      [2, 'mirred', 'bwp1', 'pass'],
    ]);
    expect(() =>
      nl.filterAddU32MirredRedirect(v.index, 0xffff0000, ifb.index, {
        controls: ['drop' as 'pass'],
      }),
    ).toThrow(/invalid control "drop"/);
    expect(() => nl.filterAddU32MirredRedirect(v.index, 0xffff0000, ifb.index, { controls: [] })).toThrow(
      /invalid controls/,
    );
  });
});

describe('conntrack', () => {
  let t: TestNetNS;
  beforeEach(() => {
    t = makeNetNS('nlct');
    // Conntrack only tracks a namespace once a rule there needs it.
    inNs(t, 'ip', 'link', 'set', 'lo', 'up');
    inNs(
      t,
      'nft',
      'add table inet cttest; add chain inet cttest out { type filter hook output priority 0; }; add rule inet cttest out ct state new accept',
    );
  });
  afterEach(() => destroyNetNS(t));

  function sendUdp(port: number, family: 4 | 6 = 4): void {
    const host = family === 4 ? '127.0.0.1' : '::1';
    const af = family === 4 ? 'AF_INET' : 'AF_INET6';
    inNs(
      t,
      'python3',
      '-c',
      `import socket\ns=socket.socket(socket.${af},socket.SOCK_DGRAM)\ns.sendto(b"x",("${host}",${port}))`,
    );
  }

  it('deletes the entries of one protocol and destination port only', () => {
    sendUdp(5001);
    sendUdp(5001);
    sendUdp(5002);
    sendUdp(5001, 6);
    expect(conntrackDeleteByDstPort(t.ns, 4, 'udp', 5001)).toBe(2);
    expect(conntrackDeleteByDstPort(t.ns, 4, 'udp', 5001)).toBe(0);
    expect(conntrackDeleteByDstPort(t.ns, 4, 'tcp', 5002)).toBe(0);
    expect(conntrackDeleteByDstPort(t.ns, 6, 'udp', 5001)).toBe(1);
    expect(conntrackDeleteByDstPort(t.ns, 4, 'udp', 5002)).toBe(1);
    expect(() => conntrackDeleteByDstPort(t.ns, 4, 'udp', 70000)).toThrow(/invalid port 70000/);
    expect(() => conntrackDeleteByDstPort(t.ns, 4, 'icmp' as 'udp', 1)).toThrow(/invalid proto "icmp"/);
  });
});

describe('tun/tap', () => {
  let t: TestNetNS;
  beforeEach(() => {
    t = makeNetNS('nltun');
  });
  afterEach(() => destroyNetNS(t));

  it('creates persistent tap and tun devices in the namespace with owner and group', () => {
    tuntapCreate(t.ns, { name: 'tap0', mode: 'tap', owner: 42420, group: 42421, persist: true });
    tuntapCreate(t.ns, { name: 'tun0', mode: 'tun', multiQueue: true, vnetHdr: true, persist: true });
    const nl = Netlink.open(t.ns);
    try {
      expect(nl.linkByName('tap0')).toMatchObject({ kind: 'tun', info: { tunType: 'tap' } });
      expect(nl.linkByName('tun0')).toMatchObject({ kind: 'tun', info: { tunType: 'tun' } });
    } finally {
      nl.close();
    }
    const [tap] = ipJson<
      { linkinfo: { info_data: { type: string; pi: boolean; user: number; group: number } } }[]
    >(t, '-d', 'link', 'show', 'tap0');
    expect(tap?.linkinfo.info_data).toMatchObject({ type: 'tap', pi: false, user: 42420, group: 42421 });
    const [tun] = ipJson<
      { linkinfo: { info_data: { type: string; multi_queue: boolean; vnet_hdr: boolean } } }[]
    >(t, '-d', 'link', 'show', 'tun0');
    expect(tun?.linkinfo.info_data).toMatchObject({ type: 'tun', multi_queue: true, vnet_hdr: true });
    expect(isExists(catchErr(() => tuntapCreate(t.ns, { name: 'tap0', mode: 'tap', persist: true })))).toBe(
      true,
    );
    expect(() => tuntapCreate(t.ns, { name: 'a/b', mode: 'tap', persist: true })).toThrow(
      /invalid interface name "a\/b"/,
    );
  });
});

describe('nftTableExists', () => {
  let t: TestNetNS;
  beforeEach(() => {
    t = makeNetNS('nlnft');
  });
  afterEach(() => {
    destroyNetNS(t);
  });

  it('answers from one netlink request whether a table exists, per family', () => {
    expect(nftTableExists(t.ns, 'inet', 'cni_test_t')).toBe(false);
    inNs(t, 'nft', 'add', 'table', 'inet', 'cni_test_t');
    expect(nftTableExists(t.ns, 'inet', 'cni_test_t')).toBe(true);
    expect(nftTableExists(t.ns, 'ip', 'cni_test_t')).toBe(false);
    expect(nftTableExists(t.ns, 'inet', 'cni_test_other')).toBe(false);
    inNs(t, 'nft', 'delete', 'table', 'inet', 'cni_test_t');
    expect(nftTableExists(t.ns, 'inet', 'cni_test_t')).toBe(false);
  });
});
