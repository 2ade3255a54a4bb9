// Side by side with the Go reference (Debian's v1.1.1 in /usr/lib/cni/tuning), chained after
// our bridge: the same configuration leaves the same sysctls and link attributes, the same
// result and the same backup file; a Go ADD is restored by our DEL and the other way round,
// and each CHECKs the other's ADD. (v1.1.1 has no txQLen; it is left out here.)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { GO_BIN, linkInfo, runIn, sysctl, tempDir } from '@cni-internal/test-kit/net';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

let host: TestNetNS;
let a: TestNetNS;
let b: TestNetNS;
let store: { dir: string; cleanup(): void };
let data: { dir: string; cleanup(): void };

beforeAll(() => {
  if (!existsSync(join(GO_BIN, 'tuning'))) {
    throw new Error(`${GO_BIN}/tuning missing: apt-get install containernetworking-plugins`);
  }
});
beforeEach(() => {
  host = makeNetNS('tgh');
  a = makeNetNS('tga');
  b = makeNetNS('tgb');
  store = tempDir('cni-tuning-go-ipam-');
  data = tempDir('cni-tuning-go-data-');
});
afterEach(() => {
  for (const n of [a, b, host]) destroyNetNS(n);
  store.cleanup();
  data.cleanup();
});

const VERSION = '1.0.0';
const bridgeConf = {
  cniVersion: VERSION,
  name: 'tgnet',
  type: 'bridge',
  bridge: 'tg0',
  ipam: { type: 'host-local', subnet: '10.66.0.0/24' },
};

async function bridgeAdd(n: TestNetNS, cid: string) {
  const r = await runIn(host, 'bridge', {
    command: 'ADD',
    containerID: cid,
    netns: n.path,
    ifName: 'eth0',
    stdin: { ...bridgeConf, ipam: { ...bridgeConf.ipam, dataDir: store.dir } },
  });
  expect(r.code, r.stdout).toBe(0);
  return r.json;
}

const tuning = (prevResult: object, mac: string) => ({
  cniVersion: VERSION,
  name: 'tgnet',
  type: 'tuning',
  dataDir: data.dir,
  prevResult,
  sysctl: { 'net.ipv4.conf.eth0.proxy_arp': '1', 'net.ipv4.conf.all.arp_ignore': '2' },
  mac,
  promisc: true,
  mtu: 1400,
  allmulti: true,
});

type Impl = 'go' | 'ts';
const run = (impl: Impl, command: string, n: TestNetNS, cid: string, stdin: object) =>
  runIn(host, 'tuning', {
    command: command as 'ADD',
    containerID: cid,
    netns: n.path,
    ifName: 'eth0',
    stdin,
    ...(impl === 'go' ? { dir: GO_BIN } : {}),
  });

const view = (n: TestNetNS) => {
  const l = linkInfo(n, 'eth0');
  return {
    mac: l.address as string,
    mtu: l.mtu as number,
    promisc: l.promiscuity > 0,
    allmulti: (l.flags as string[]).includes('ALLMULTI'),
    proxyArp: sysctl(n, 'net/ipv4/conf/eth0/proxy_arp'),
    arpIgnore: sysctl(n, 'net/ipv4/conf/all/arp_ignore'),
  };
};

const backup = (cid: string) => readFileSync(join(data.dir, `${cid}_eth0.json`), 'utf8');

describe('tuning side by side with Go v1.1.1', () => {
  it('same kernel state, result and backup file for the same configuration', async () => {
    const pa = await bridgeAdd(a, 'ctr-a');
    const pb = await bridgeAdd(b, 'ctr-b');
    const origA = linkInfo(a, 'eth0').address;
    const origB = linkInfo(b, 'eth0').address;
    const go = await run('go', 'ADD', a, 'ctr-a', tuning(pa, '0a:00:00:00:00:0a'));
    expect(go.code, go.stdout + go.stderr).toBe(0);
    const ts = await run('ts', 'ADD', b, 'ctr-b', tuning(pb, '0a:00:00:00:00:0b'));
    expect(ts.code, ts.stdout + ts.stderr).toBe(0);
    expect(view(a)).toEqual({ ...view(b), mac: '0a:00:00:00:00:0a' });
    expect(view(b).mac).toBe('0a:00:00:00:00:0b');
    expect(view(b)).toMatchObject({
      mtu: 1400,
      promisc: true,
      allmulti: true,
      proxyArp: '1',
      arpIgnore: '2',
    });
    // the result: the prevResult with the new MAC on eth0, in both
    const withMac = (p: { interfaces: { name: string; mac?: string }[] }, mac: string) => ({
      ...p,
      interfaces: p.interfaces.map((i) => (i.name === 'eth0' ? { ...i, mac } : i)),
    });
    // (Go v1.1.1 prints an empty "dns": {}; @cni/skel and newer Go leave it out)
    const { dns: goDns, ...goRest } = go.json;
    expect(goDns ?? {}).toEqual({});
    expect(goRest).toEqual(withMac(pa, '0a:00:00:00:00:0a'));
    expect(ts.json).toEqual(withMac(pb, '0a:00:00:00:00:0b'));
    // the backup: same path and bytes (only the original MAC differs)
    expect(backup('ctr-b')).toBe(backup('ctr-a').replace(origA, origB));
    expect(backup('ctr-a')).toBe(
      `{\n "mac": "${origA}",\n "promisc": false,\n "mtu": 1500,\n "allmulti": false\n}`,
    );
  });

  it('Go ADD is checked and restored by our CHECK and DEL; ours by Go', async () => {
    const pa = await bridgeAdd(a, 'ctr-a');
    const pb = await bridgeAdd(b, 'ctr-b');
    const beforeA = view(a);
    const beforeB = view(b);
    const ca = tuning(pa, '0a:00:00:00:00:0a');
    const cb = tuning(pb, '0a:00:00:00:00:0b');
    const go = await run('go', 'ADD', a, 'ctr-a', ca);
    expect(go.code, go.stdout).toBe(0);
    const ts = await run('ts', 'ADD', b, 'ctr-b', cb);
    expect(ts.code, ts.stdout).toBe(0);

    const tsCheck = await run('ts', 'CHECK', a, 'ctr-a', { ...ca, prevResult: go.json });
    expect(tsCheck.code, tsCheck.stdout).toBe(0);
    const goCheck = await run('go', 'CHECK', b, 'ctr-b', { ...cb, prevResult: ts.json });
    expect(goCheck.code, goCheck.stdout).toBe(0);

    const tsDel = await run('ts', 'DEL', a, 'ctr-a', ca);
    expect(tsDel.code, tsDel.stdout).toBe(0);
    const goDel = await run('go', 'DEL', b, 'ctr-b', cb);
    expect(goDel.code, goDel.stdout).toBe(0);
    // attributes restored; sysctls stay (neither reverts them)
    expect(view(a)).toEqual({ ...beforeA, proxyArp: '1', arpIgnore: '2' });
    expect(view(b)).toEqual({ ...beforeB, proxyArp: '1', arpIgnore: '2' });
    expect(existsSync(join(data.dir, 'ctr-a_eth0.json'))).toBe(false);
    expect(existsSync(join(data.dir, 'ctr-b_eth0.json'))).toBe(false);
    // Go's DEL leaves our GC marker; our GC of this network removes it
    expect(readdirSync(data.dir)).toEqual(['ctr-b_eth0.network']);
    const gc = await runIn(host, 'tuning', {
      command: 'GC',
      stdin: {
        cniVersion: '1.1.0',
        name: 'tgnet',
        type: 'tuning',
        dataDir: data.dir,
        'cni.dev/valid-attachments': [],
      },
    });
    expect(gc.code, gc.stdout).toBe(0);
    expect(readdirSync(data.dir)).toEqual([]);
  });

  it('the same errors for keys outside /proc/sys/net and missing prevResult', async () => {
    const pa = await bridgeAdd(a, 'ctr-a');
    for (const impl of ['go', 'ts'] as const) {
      const r = await run(impl, 'ADD', a, 'ctr-a', {
        ...tuning(pa, '0a:00:00:00:00:0a'),
        sysctl: { 'kernel.hostname': 'x' },
      });
      expect(r.code, impl).toBe(1);
      expect(r.json.msg, impl).toMatch(/^invalid net sysctl key: "kernel[./]hostname"/);
      const { prevResult: _p, ...noPrev } = tuning(pa, '0a:00:00:00:00:0a');
      const m = await run(impl, 'ADD', a, 'ctr-a', noPrev);
      expect(m.code, impl).toBe(1);
      expect(m.json.msg, impl).toBe('Required prevResult missing');
    }
    expect(sysctl(a, 'kernel/hostname')).not.toBe('x');
  });
});
