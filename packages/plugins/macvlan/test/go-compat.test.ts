// Side by side with the Go reference (Debian's v1.1.1 in /usr/lib/cni): the same
// configuration leaves the same kernel state and result; an ADD by one is removed by the
// other's DEL, and each CHECKs the other's ADD.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { destroyNetNS, distCniBin, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  addrsOf,
  GO_CNI,
  hostLocal,
  ipJson,
  linkInfo,
  linkNames,
  ourBin,
  runIn,
  type TempDir,
  tempDir,
  vethPair,
} from '@cni-internal/test-kit';

const goBin = join(GO_CNI, 'macvlan');
let ours: string;
let host: TestNetNS;
let a: TestNetNS;
let b: TestNetNS;
let data: TempDir;

beforeAll(() => {
  ours = ourBin('macvlan');
  if (!existsSync(goBin)) throw new Error(`${goBin} missing: apt-get install containernetworking-plugins`);
});

beforeEach(() => {
  host = makeNetNS('mvgh');
  a = makeNetNS('mvga');
  b = makeNetNS('mvgb');
  data = tempDir('cni-macvlan-go-');
  vethPair(host, 'hm0', 'hm0p', 9000);
});

afterEach(() => {
  for (const n of [host, a, b]) destroyNetNS(n);
  data.cleanup();
});

const conf = (extra: object = {}) => ({
  cniVersion: '1.0.0',
  name: 'mvgo',
  type: 'macvlan',
  master: 'hm0',
  mode: 'vepa',
  mtu: 1400,
  ipam: hostLocal(data.path),
  dns: { nameservers: ['10.77.0.53'], search: ['example.org'] },
  ...extra,
});

type Impl = 'go' | 'ts';
const run = (impl: Impl, command: string, n: TestNetNS, stdin: object, containerID: string) =>
  runIn(host, impl === 'go' ? goBin : ours, {
    command,
    containerID,
    netns: n.path,
    stdin,
    path: impl === 'go' ? GO_CNI : distCniBin,
  });

const reserved = (): string[] => {
  const dir = join(data.path, 'mvgo');
  return existsSync(dir) ? readdirSync(dir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
};

/** What a macvlan looks like in the kernel, minus what differs per link (index, random MAC). */
function kernelView(n: TestNetNS) {
  const l = linkInfo(n, 'eth0');
  return {
    kind: l.linkinfo.info_kind,
    data: l.linkinfo.info_data,
    mtu: l.mtu,
    up: l.flags.includes('UP'),
    parent: l.link_index,
    addrs: addrsOf(n, 'eth0'),
    routes: ipJson(n, 'route', 'show').map((r: { dst: string; gateway?: string; dev: string }) => ({
      dst: r.dst,
      gw: r.gateway,
      dev: r.dev,
    })),
  };
}

describe('macvlan side by side with Go v1.1.1', () => {
  it('same kernel state and result for the same configuration', async () => {
    const c = conf({ runtimeConfig: { mac: '02:00:00:00:00:0a' } });
    const go = await run('go', 'ADD', a, c, 'ctr-a');
    expect(go.code, go.stdout + go.stderr).toBe(0);
    const ts = await run('ts', 'ADD', b, { ...c, runtimeConfig: { mac: '02:00:00:00:00:0b' } }, 'ctr-b');
    expect(ts.code, ts.stdout + ts.stderr).toBe(0);
    const ka = kernelView(a);
    const kb = kernelView(b);
    expect(kb).toEqual({ ...ka, addrs: ['10.77.0.3/24'] });
    expect(ka.addrs).toEqual(['10.77.0.2/24']);
    expect(linkInfo(a, 'eth0').address).toBe('02:00:00:00:00:0a');
    expect(linkInfo(b, 'eth0').address).toBe('02:00:00:00:00:0b');
    // results: the same object; only the sandbox, MAC and address differ. (Key order differs:
    // Go v1.1.1 printed 1.0.0 results in struct order, newer Go and @cni/skel sort them.)
    expect(ts.json).toEqual(
      JSON.parse(
        go.stdout
          .replace(a.path, b.path)
          .replace('02:00:00:00:00:0a', '02:00:00:00:00:0b')
          .replace('10.77.0.2/24', '10.77.0.3/24'),
      ),
    );
  });

  it('Go ADD is checked and removed by our CHECK and DEL; ours by Go', async () => {
    const c = conf();
    const go = await run('go', 'ADD', a, c, 'ctr-a');
    expect(go.code).toBe(0);
    const ts = await run('ts', 'ADD', b, c, 'ctr-b');
    expect(ts.code).toBe(0);
    expect(reserved().sort()).toEqual(['10.77.0.2', '10.77.0.3']);

    const tsCheck = await run('ts', 'CHECK', a, { ...c, prevResult: go.json }, 'ctr-a');
    expect(tsCheck.stdout + tsCheck.stderr).toBe('');
    expect(tsCheck.code).toBe(0);
    const goCheck = await run('go', 'CHECK', b, { ...c, prevResult: ts.json }, 'ctr-b');
    expect(goCheck.stdout + goCheck.stderr).toBe('');
    expect(goCheck.code).toBe(0);

    const tsDel = await run('ts', 'DEL', a, c, 'ctr-a');
    expect(tsDel.code).toBe(0);
    expect(linkNames(a)).toEqual([]);
    expect(reserved()).toEqual(['10.77.0.3']);
    const goDel = await run('go', 'DEL', b, c, 'ctr-b');
    expect(goDel.code).toBe(0);
    expect(linkNames(b)).toEqual([]);
    expect(reserved()).toEqual([]);
  });

  it('the same errors for the same bad configurations', async () => {
    for (const extra of [{ mtu: 9001 }, { mode: 'l2' }]) {
      const go = await run('go', 'ADD', a, conf(extra), 'ctr-a');
      const ts = await run('ts', 'ADD', b, conf(extra), 'ctr-b');
      expect(go.code).toBe(1);
      expect(ts.code).toBe(1);
      expect(ts.json.msg).toBe(go.json.msg);
    }
    expect(linkNames(a)).toEqual([]);
    expect(linkNames(b)).toEqual([]);
  });
});
