// Side by side with the Go reference (Debian's v1.1.1 in /usr/lib/cni/bandwidth): for the same
// configuration the same qdiscs (all numbers), the same filter and actions, the same ifb name
// and attributes, the same result; an ADD by one is CHECKed and removed by the other's DEL.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  destroyNetNS,
  GO_CNI,
  ipJson,
  linkNames,
  makeNetNS,
  ourBin,
  runIn,
  type TempDir,
  type TestNetNS,
  tempDir,
} from '@cni-internal/test-kit';
import { Netlink } from '@cni/netlink';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { filterView, mainAdd, mainConf, tcJson } from './env.js';

const goBin = join(GO_CNI, 'bandwidth');
const GO_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0'];
let ours: string;
// one "host" + "container" pair per implementation, so both can use the same container ID
let hosts: Record<Impl, TestNetNS>;
let ctrs: Record<Impl, TestNetNS>;
let data: TempDir;

type Impl = 'go' | 'ts';
const other = (i: Impl): Impl => (i === 'go' ? 'ts' : 'go');

beforeAll(() => {
  ours = ourBin('bandwidth');
  if (!existsSync(goBin)) throw new Error(`${goBin} missing: apt-get install containernetworking-plugins`);
});
beforeEach(() => {
  hosts = { go: makeNetNS('bwgh'), ts: makeNetNS('bwth') };
  ctrs = { go: makeNetNS('bwgc'), ts: makeNetNS('bwtc') };
  data = tempDir('cni-bandwidth-go-');
});
afterEach(() => {
  for (const n of [...Object.values(hosts), ...Object.values(ctrs)]) destroyNetNS(n);
  data.cleanup();
});

const ID = 'dummy';
const IFB = 'bwpa8eda89404b7'; // cni-reference §3.16: network cni-plugin-bandwidth-test, container dummy
const NET = 'cni-plugin-bandwidth-test';

const bw = (v: string, prevResult: object | undefined, extra: object) => ({
  cniVersion: v,
  name: NET,
  type: 'bandwidth',
  ...(prevResult ? { prevResult } : {}),
  ...extra,
});

/** Run `impl`'s bandwidth in `where`'s host namespace against `where`'s container. */
const run = (impl: Impl, where: Impl, command: string, stdin: object) =>
  runIn(hosts[where], impl === 'go' ? goBin : ours, {
    command,
    containerID: ID,
    netns: ctrs[where].path,
    stdin,
    path: GO_CNI,
  });

// biome-ignore lint/suspicious/noExplicitAny: a CNI result
const hostVeth = (prev: any): string =>
  (prev.interfaces as { name: string; sandbox?: string }[]).find((i) => !i.sandbox && i.name !== 'bwbr0')
    ?.name as string;

/** Every tbf/ingress qdisc, every filter on the veth's ingress, and the ifb's attributes. */
function kernelView(where: Impl, veth: string) {
  const h = hosts[where];
  const rename = (dev: string) => (dev === veth ? '<veth>' : dev);
  const qdiscs = tcJson(h, 'qdisc', 'show')
    .filter((q) => q.kind === 'tbf' || q.kind === 'ingress')
    .map((q) => ({ ...q, dev: rename(q.dev) }));
  const detailed = tcJson(h, '-d', 'qdisc', 'show')
    .filter((q) => q.kind === 'tbf')
    .map((q) => ({ ...q, dev: rename(q.dev) }));
  const filters = filterView(h, veth);
  // the raw numbers the kernel keeps (rate bytes/s, limit bytes, buffer ticks), per device
  const nl = Netlink.open(h.ns);
  let raw: object[];
  try {
    const names = new Map(nl.linkList().map((l) => [l.index, rename(l.name)]));
    raw = nl
      .qdiscList()
      .filter((q) => q.kind === 'tbf' || q.kind === 'ingress')
      .map((q) => ({
        dev: names.get(q.index),
        kind: q.kind,
        handle: q.handle,
        parent: q.parent,
        tbf: q.tbf,
      }));
  } finally {
    nl.close();
  }
  const ifb = ipJson(h, '-d', 'link', 'show')
    .filter((l: { ifname: string }) => l.ifname.startsWith('bwp'))
    .map((l: Record<string, unknown>) => ({
      ...l,
      ifindex: 0,
      address: '',
      link: undefined,
      // ours carries an alias naming its attachment (for GC); Go's has none
      ifalias: undefined,
    }));
  return { qdiscs, detailed, filters, ifb, raw };
}

// Go v1.1.1 prints an empty "dns": {}; ours omits it. The ifb MAC is random.
// biome-ignore lint/suspicious/noExplicitAny: a CNI result
const normalize = (r: any) => {
  const { dns, ...rest } = r;
  return {
    ...rest,
    ...(dns && Object.keys(dns).length ? { dns } : {}),
    interfaces: rest.interfaces?.map((i: { mac?: string; name: string }) =>
      i.name.startsWith('bwp') ? { ...i, mac: 'random' } : i,
    ),
  };
};

const CONFIGS: [string, object][] = [
  ['both directions', { ingressRate: 8000, ingressBurst: 16000, egressRate: 12000, egressBurst: 24000 }],
  ['ingress only', { ingressRate: 8000, ingressBurst: 80 }],
  ['egress only, odd numbers', { egressRate: 1_000_003, egressBurst: 77_777 }],
  [
    'high rate (rate64)',
    {
      ingressRate: 80_000_000_000,
      ingressBurst: 8_000_000,
      egressRate: 40_000_000_000,
      egressBurst: 8_000_000,
    },
  ],
  [
    'runtimeConfig',
    {
      runtimeConfig: {
        bandWidth: { ingressRate: 800, ingressBurst: 200, egressRate: 800, egressBurst: 200 },
      },
    },
  ],
];

describe('bandwidth side by side with the Go reference', () => {
  for (const [label, extra] of CONFIGS) {
    it.each(GO_VERSIONS)(`${label}, cniVersion %s: same kernel state and result`, async (v) => {
      const prev: Record<Impl, { interfaces: unknown[] }> = {
        go: await mainAdd(hosts.go, 'bridge', mainConf('bridge', v, join(data.path, 'go')), ctrs.go, ID),
        ts: await mainAdd(hosts.ts, 'bridge', mainConf('bridge', v, join(data.path, 'ts')), ctrs.ts, ID),
      };
      const addGo = await run('go', 'go', 'ADD', bw(v, prev.go, extra));
      const addTs = await run('ts', 'ts', 'ADD', bw(v, prev.ts, extra));
      expect(addGo.code, addGo.stdout + addGo.stderr).toBe(0);
      expect(addTs.code, addTs.stdout + addTs.stderr).toBe(0);
      const go = kernelView('go', hostVeth(prev.go));
      const ts = kernelView('ts', hostVeth(prev.ts));
      expect(ts).toEqual(go);
      expect(go.qdiscs.length).toBeGreaterThan(0);
      expect(go.raw.length).toBe(go.qdiscs.length);
      const egress = label === 'runtimeConfig' || (extra as { egressRate?: number }).egressRate;
      expect(go.filters.length > 0).toBe(Boolean(egress));
      // results agree except the host veth's random name and MAC
      const swap = (r: object) =>
        JSON.parse(JSON.stringify(r).replaceAll(hostVeth(prev.ts), hostVeth(prev.go)));
      expect(normalize(swap(addTs.json)).interfaces.length).toBe(normalize(addGo.json).interfaces.length);
      if ((extra as { egressRate?: number }).egressRate || label === 'runtimeConfig')
        expect(linkNames(hosts.ts)).toContain(IFB);
      // each CHECKs the other's ADD (CHECK exists from 0.4.0)
      if (v === '0.4.0' || v === '1.0.0') {
        for (const impl of ['go', 'ts'] as Impl[]) {
          const where = other(impl);
          const add = where === 'go' ? addGo : addTs;
          const r = await run(impl, where, 'CHECK', bw(v, add.json, extra));
          expect(r.stdout + r.stderr, `${impl} CHECK of ${where}'s ADD`).toBe('');
          expect(r.code).toBe(0);
        }
      }
      // each removes the other's ifb
      for (const impl of ['go', 'ts'] as Impl[]) {
        const where = other(impl);
        const r = await run(impl, where, 'DEL', bw(v, undefined, extra));
        expect(r.code, r.stdout + r.stderr).toBe(0);
        expect(linkNames(hosts[where]).filter((n) => n.startsWith('bwp'))).toEqual([]);
      }
    });
  }

  it('results are the same, field by field', async () => {
    const v = '1.0.0';
    const extra = CONFIGS[0]?.[1] as object;
    const prev = await mainAdd(hosts.go, 'bridge', mainConf('bridge', v, data.path), ctrs.go, ID);
    const addGo = await run('go', 'go', 'ADD', bw(v, prev, extra));
    expect((await run('ts', 'go', 'DEL', bw(v, undefined, extra))).code).toBe(0);
    // the host veth keeps the Go plugin's tbf and ingress qdiscs (DEL only removes the ifb, as
    // the reference); take them off so ours can ADD again on the same veth
    const veth = hostVeth(prev);
    for (const p of ['root', 'ingress']) tcJson(hosts.go, 'qdisc', 'del', 'dev', veth, p);
    const addTs = await run('ts', 'go', 'ADD', bw(v, prev, extra));
    expect(addTs.code, addTs.stdout + addTs.stderr).toBe(0);
    expect(normalize(addTs.json)).toEqual(normalize(addGo.json));
  });

  it('the same errors for invalid pairs and a missing prevResult', async () => {
    const cases: object[] = [
      { ingressRate: 1000 },
      { egressBurst: 1000 },
      { egressRate: 1000, egressBurst: 8 * 2 ** 32 },
    ];
    for (const extra of cases) {
      const g = await run('go', 'go', 'ADD', bw('1.0.0', undefined, extra));
      const t = await run('ts', 'ts', 'ADD', bw('1.0.0', undefined, extra));
      expect(t.code).toBe(g.code);
      expect(t.json.code).toBe(g.json.code);
      // ours appends the key and value to the reference's message
      expect(t.json.msg.startsWith(g.json.msg)).toBe(true);
    }
    const extra = { ingressRate: 8000, ingressBurst: 8000 };
    const g = await run('go', 'go', 'ADD', bw('1.0.0', undefined, extra));
    const t = await run('ts', 'ts', 'ADD', bw('1.0.0', undefined, extra));
    expect(t.json).toEqual(g.json);
  });
});
