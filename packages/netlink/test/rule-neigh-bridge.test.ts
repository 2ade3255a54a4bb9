import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isExists, isNotFound, Netlink } from '../src/index.js';
import { ipJson } from './helpers.js';

function catchErr(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

interface IpRule {
  priority: number;
  src?: string;
  srclen?: number;
  dst?: string;
  dstlen?: number;
  table: string;
  iif?: string;
  oif?: string;
  not?: null;
}

describe('rules, neighbours, bridge ports', () => {
  let t: TestNetNS;
  let nl: Netlink;
  beforeEach(() => {
    t = makeNetNS('nlrn');
    nl = Netlink.open(t.ns);
  });
  afterEach(() => {
    nl.close();
    destroyNetNS(t);
  });

  it('adds, lists and deletes IPv4 and IPv6 rules like ip -j rule', () => {
    const before = nl.ruleList(4);
    expect(before.map((r) => [r.priority, r.table])).toEqual([
      [0, 255],
      [32766, 254],
      [32767, 253],
    ]);
    nl.ruleAdd({ family: 4, src: '10.1.2.3/32', table: 100, priority: 1000 });
    nl.ruleAdd({
      family: 4,
      dst: '10.9.0.0/16',
      iifname: 'eth0',
      oifname: 'eth1',
      table: 1000,
      priority: 1001,
      invert: true,
    });
    nl.ruleAdd({ family: 6, src: 'fd00::/64', table: 300, priority: 1002 });
    expect(nl.ruleList(4).filter((r) => (r.priority ?? 0) >= 1000 && (r.priority ?? 0) < 2000)).toEqual([
      { family: 4, src: '10.1.2.3/32', table: 100, priority: 1000 },
      {
        family: 4,
        dst: '10.9.0.0/16',
        iifname: 'eth0',
        oifname: 'eth1',
        table: 1000,
        priority: 1001,
        invert: true,
      },
    ]);
    expect(nl.ruleList(6).find((r) => r.priority === 1002)).toEqual({
      family: 6,
      src: 'fd00::/64',
      table: 300,
      priority: 1002,
    });
    const ip = ipJson<IpRule[]>(t, 'rule', 'show');
    expect(ip.find((r) => r.priority === 1000)).toMatchObject({ src: '10.1.2.3', table: '100' });
    expect(ip.find((r) => r.priority === 1001)).toMatchObject({
      dst: '10.9.0.0',
      dstlen: 16,
      iif: 'eth0',
      oif: 'eth1',
      table: '1000',
      not: null,
    });
    expect(
      isExists(catchErr(() => nl.ruleAdd({ family: 4, src: '10.1.2.3/32', table: 100, priority: 1000 }))),
    ).toBe(true);
    nl.ruleDel({ family: 4, src: '10.1.2.3/32', table: 100, priority: 1000 });
    expect(nl.ruleList(4).some((r) => r.priority === 1000)).toBe(false);
    expect(
      isNotFound(catchErr(() => nl.ruleDel({ family: 4, src: '10.1.2.3/32', table: 100, priority: 1000 }))),
    ).toBe(true);
    expect(() => nl.ruleAdd({ family: 4, src: 'fd00::/64', table: 1 })).toThrow(
      /invalid src "fd00::\/64": not IPv4/,
    );
  });

  it('adds, lists and deletes permanent neighbours', () => {
    const v = nl.linkAdd({ kind: 'veth', name: 'n0', peerName: 'n1' });
    nl.linkSetUp(v.index);
    nl.neighAdd({ index: v.index, family: 4, ip: '10.1.2.5', mac: '0a:00:00:00:00:05', state: 0x80 });
    nl.neighAdd({ index: v.index, family: 6, ip: 'fd00::5', mac: '0a:00:00:00:00:06', state: 0x80 });
    expect(nl.neighList({ index: v.index, family: 4 })).toEqual([
      { index: v.index, family: 4, ip: '10.1.2.5', mac: '0a:00:00:00:00:05', state: 0x80 },
    ]);
    expect(nl.neighList({ index: v.index }).map((n) => n.ip)).toEqual(
      expect.arrayContaining(['10.1.2.5', 'fd00::5']),
    );
    const ip = ipJson<{ dst: string; lladdr: string; state: string[] }[]>(t, 'neigh', 'show', 'dev', 'n0');
    expect(ip).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ dst: '10.1.2.5', lladdr: '0a:00:00:00:00:05', state: ['PERMANENT'] }),
      ]),
    );
    expect(
      isExists(
        catchErr(() =>
          nl.neighAdd({ index: v.index, family: 4, ip: '10.1.2.5', mac: '0a:00:00:00:00:07', state: 0x80 }),
        ),
      ),
    ).toBe(true);
    nl.neighDel({ index: v.index, family: 4, ip: '10.1.2.5', state: 0 });
    expect(nl.neighList({ index: v.index, family: 4 })).toEqual([]);
    expect(
      isNotFound(catchErr(() => nl.neighDel({ index: v.index, family: 4, ip: '10.1.2.5', state: 0 }))),
    ).toBe(true);
    expect(() => nl.neighAdd({ index: v.index, family: 4, ip: '10.1.2.6', mac: 'bad', state: 0x80 })).toThrow(
      /invalid mac "bad"/,
    );
  });

  it('sets and reads bridge port hairpin, isolation and learning', () => {
    const br = nl.linkAdd({ kind: 'bridge', name: 'br0' });
    const v = nl.linkAdd({ kind: 'veth', name: 'bp0', peerName: 'bp1' });
    nl.linkSetMaster(v.index, br.index);
    expect(nl.bridgePortGet(v.index)).toEqual({ hairpin: false, isolated: false, learning: true });
    nl.bridgePortSet(v.index, { hairpin: true, isolated: true, learning: false });
    expect(nl.bridgePortGet(v.index)).toEqual({ hairpin: true, isolated: true, learning: false });
    const ip = JSON.parse(
      execFileSync('ip', ['netns', 'exec', t.name, 'bridge', '-j', '-d', 'link', 'show', 'dev', 'bp0'], {
        encoding: 'utf8',
      }),
    ) as { hairpin: boolean; isolated: boolean; learning: boolean }[];
    expect(ip[0]).toMatchObject({ hairpin: true, isolated: true, learning: false });
    nl.bridgePortSet(v.index, { hairpin: false });
    expect(nl.bridgePortGet(v.index).hairpin).toBe(false);
    const other = nl.linkAdd({ kind: 'veth', name: 'np0', peerName: 'np1' });
    expect(isNotFound(catchErr(() => nl.bridgePortGet(other.index)))).toBe(true);
  });
});
