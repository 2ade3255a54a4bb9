// Side by side with the Go reference (Debian's v1.1.1 in /usr/lib/cni/sbr, which knows neither
// `table` nor `gateways`/`addSourceHints`): after the same main plugin, the same sbr
// configuration leaves the same rules and routes; an ADD by one is undone by the other's DEL.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { destroyNetNS, distCniBin, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ALL_VERSIONS, GO_CNI, ipJson, ourBin, runIn, type TempDir, tempDir } from '@cni-internal/test-kit';

const goBin = join(GO_CNI, 'sbr');
let ours: string;

interface Side {
  host: TestNetNS;
  cont: TestNetNS;
  data: TempDir;
}
let sides: Side[] = [];

beforeAll(() => {
  ours = ourBin('sbr');
  if (!existsSync(goBin)) throw new Error(`${goBin} missing: apt-get install containernetworking-plugins`);
});

beforeEach(() => {
  sides = [0, 1].map(() => ({
    host: makeNetNS('sbgh'),
    cont: makeNetNS('sbgc'),
    data: tempDir('cni-sbr-go-'),
  }));
});

afterEach(() => {
  for (const s of sides) {
    destroyNetNS(s.cont);
    destroyNetNS(s.host);
    s.data.cleanup();
  }
});

// biome-ignore lint/suspicious/noExplicitAny: ip -j output
type J = any;

const bridge = (version: string, dataDir: string, dual: boolean) => ({
  cniVersion: version,
  name: 'sbrgo',
  type: 'bridge',
  bridge: 'sbgbr0',
  isGateway: true,
  ipam: {
    type: 'host-local',
    dataDir,
    ranges: dual
      ? [
          [{ subnet: '10.81.0.0/24', gateway: '10.81.0.1' }],
          [{ subnet: 'fd00:81::/64', gateway: 'fd00:81::1' }],
        ]
      : [[{ subnet: '10.81.0.0/24', gateway: '10.81.0.1' }]],
    routes: dual ? [{ dst: '0.0.0.0/0' }, { dst: '::/0' }] : [{ dst: '0.0.0.0/0' }],
  },
});

const ptp = (version: string, dataDir: string) => ({
  cniVersion: version,
  name: 'sbrgo',
  type: 'ptp',
  ipam: {
    type: 'host-local',
    dataDir,
    ranges: [[{ subnet: '10.82.0.0/24' }], [{ subnet: '10.83.0.0/24' }]],
    routes: [{ dst: '0.0.0.0/0' }, { dst: '192.0.2.0/24' }],
  },
});

type Impl = 'go' | 'ts';
const sbrRun = (impl: Impl, s: Side, command: string, stdin: object) =>
  runIn(s.host, impl === 'go' ? goBin : ours, {
    command,
    containerID: 'sbrgo1',
    netns: s.cont.path,
    ifName: 'eth0',
    stdin,
    path: impl === 'go' ? GO_CNI : distCniBin,
  });

async function mainAdd(s: Side, cfg: object) {
  const r = await runIn(s.host, ourBin((cfg as { type: string }).type), {
    command: 'ADD',
    containerID: 'sbrgo1',
    netns: s.cont.path,
    ifName: 'eth0',
    stdin: cfg,
  });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.json;
}

/**
 * Rules and routes of every table in the container, minus what differs between two
 * namespaces for reasons sbr has nothing to do with (link-local addresses made from MACs).
 */
function kernelView(n: TestNetNS) {
  const rules = [...ipJson(n, '-4', 'rule', 'show'), ...ipJson(n, '-6', 'rule', 'show')];
  const routes = [
    ...ipJson(n, '-4', 'route', 'show', 'table', 'all'),
    ...ipJson(n, '-6', 'route', 'show', 'table', 'all'),
  ].filter((r: J) => !(r.type === 'local' && String(r.dst).startsWith('fe80:')));
  return { rules, routes: routes.map((r: J) => JSON.stringify(r)).sort() };
}

const sbrRules = (n: TestNetNS) =>
  [...ipJson(n, '-4', 'rule', 'show'), ...ipJson(n, '-6', 'rule', 'show')].filter(
    (r: J) => r.src !== undefined && r.src !== 'all',
  );

const CASES: [string, (v: string, d: string) => object][] = [
  ['bridge, IPv4', (v, d) => bridge(v, d, false)],
  ['bridge, dual stack', (v, d) => bridge(v, d, true)],
  ['ptp, two IPv4 addresses and an extra route', (v, d) => ptp(v, d)],
];

describe('sbr side by side with Go', () => {
  // every version both claim (Go v1.1.1 stops at 1.0.0)
  for (const version of ALL_VERSIONS.filter((v) => v !== '1.1.0')) {
    // a 0.1.0/0.2.0 result holds one address per family
    const cases = ['0.1.0', '0.2.0'].includes(version) ? CASES.filter(([n]) => !n.startsWith('ptp')) : CASES;
    it.each(cases)(`${version}: %s: same rules and routes`, async (_name, mk) => {
      const [a, b] = sides as [Side, Side];
      const prevA = await mainAdd(a, mk(version, a.data.path));
      const prevB = await mainAdd(b, mk(version, b.data.path));
      expect(prevA.ips).toEqual(prevB.ips);
      const conf = (prev: unknown) => ({ cniVersion: version, name: 'sbrgo', type: 'sbr', prevResult: prev });

      const go = await sbrRun('go', a, 'ADD', conf(prevA));
      expect(go.code).toBe(0);
      const ts = await sbrRun('ts', b, 'ADD', conf(prevB));
      expect(ts.stderr).toBe('');
      expect(ts.code).toBe(0);
      // (Go 1.1.1 adds an empty "dns" to 1.0.0 results; the rest is the prevResult)
      expect(go.json).toMatchObject(prevA);
      expect(ts.json).toEqual(prevB);
      expect(sbrRules(b.cont).length).toBeGreaterThan(0);
      expect(kernelView(b.cont)).toEqual(kernelView(a.cont));

      // each DEL removes the other's ADD
      const tsDel = await sbrRun('ts', a, 'DEL', conf(prevA));
      expect(tsDel.code).toBe(0);
      expect(sbrRules(a.cont)).toEqual([]);
      const goDel = await sbrRun('go', b, 'DEL', conf(prevB));
      expect(goDel.code).toBe(0);
      expect(sbrRules(b.cont)).toEqual([]);
    });
  }

  it('an ADD by Go then one by us on a second interface: the next free table', async () => {
    const [a] = sides as [Side, Side];
    const prev0 = await mainAdd(a, bridge('1.0.0', a.data.path, false));
    const go = await sbrRun('go', a, 'ADD', {
      cniVersion: '1.0.0',
      name: 'sbrgo',
      type: 'sbr',
      prevResult: prev0,
    });
    expect(go.code).toBe(0);
    const r1 = await runIn(a.host, ourBin('bridge'), {
      command: 'ADD',
      containerID: 'sbrgo2',
      netns: a.cont.path,
      ifName: 'eth1',
      stdin: bridge('1.0.0', a.data.path, false),
    });
    expect(r1.code).toBe(0);
    const ts = await runIn(a.host, ours, {
      command: 'ADD',
      containerID: 'sbrgo2',
      netns: a.cont.path,
      ifName: 'eth1',
      stdin: { cniVersion: '1.0.0', name: 'sbrgo', type: 'sbr', prevResult: r1.json },
    });
    expect(ts.stderr).toBe('');
    expect(ts.code).toBe(0);
    const tables = sbrRules(a.cont)
      .map((r: J) => `${r.src} ${r.table}`)
      .sort();
    expect(tables).toEqual(['10.81.0.2 100', '10.81.0.3 101']);
  });
});
