// bandwidth as a real process (dist/cni/bin/bandwidth; run `pnpm build` first), chained after
// our bridge and ptp (+ host-local) in throwaway "host" and "container" namespaces, for every
// spec version it claims: kernel state, result, CHECK, DEL, GC, STATUS, errors, rollback.
import { createHash } from 'node:crypto';
import {
  ALL_VERSIONS,
  destroyNetNS,
  inNs,
  ip,
  linkInfo,
  linkNames,
  makeNetNS,
  ourBin,
  runIn,
  type TempDir,
  type TestNetNS,
  tempDir,
} from '@cni-internal/test-kit';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { filterView, type Main, mainAdd, mainConf, mainDel, tcJson } from './env.js';

const VERSIONS = ALL_VERSIONS.filter((v) => !v.startsWith('0.1') && !v.startsWith('0.2'));
const CHECK_VERSIONS = new Set(['0.4.0', '1.0.0', '1.1.0']);

let bin: string;
let host: TestNetNS;
let ctr: TestNetNS;
let ctr2: TestNetNS | undefined;
let data: TempDir;

beforeAll(() => {
  bin = ourBin('bandwidth');
});
beforeEach(() => {
  host = makeNetNS('bwh');
  ctr = makeNetNS('bwc');
  data = tempDir('cni-bandwidth-');
});
afterEach(() => {
  destroyNetNS(host);
  destroyNetNS(ctr);
  destroyNetNS(ctr2);
  ctr2 = undefined;
  data.cleanup();
});

const ifbOf = (net: string, id: string) =>
  `bwp${createHash('sha512')
    .update(net + id)
    .digest('hex')
    .slice(0, 12)}`;

const bwConf = (version: string, prevResult: object | undefined, extra: object = {}) => ({
  cniVersion: version,
  name: 'bwnet',
  type: 'bandwidth',
  ...(prevResult ? { prevResult } : {}),
  ...extra,
});

const run = (
  command: string,
  stdin: object,
  o: { containerID?: string; ifName?: string; netns?: string } = {},
) => runIn(host, bin, { command, containerID: 'ctr-bw', netns: ctr.path, stdin, ...o });

/** The host-side veth of the prevResult (no sandbox, not the bridge). */
// biome-ignore lint/suspicious/noExplicitAny: a CNI result
const hostVeth = (prev: any): string =>
  (prev.interfaces as { name: string; sandbox?: string }[]).find((i) => !i.sandbox && i.name !== 'bwbr0')
    ?.name as string;

const BOTH = { ingressRate: 800_000, ingressBurst: 160_000, egressRate: 1_600_000, egressBurst: 80_000 };

describe('bandwidth process', () => {
  it('VERSION lists 0.3.0 and later, as the reference', async () => {
    const r = await run('VERSION', {});
    expect(r.json).toEqual({ cniVersion: '1.1.0', supportedVersions: VERSIONS });
  });

  it('a 0.2.0 config is refused', async () => {
    const r = await run('ADD', bwConf('0.2.0', { cniVersion: '0.2.0', ip4: { ip: '10.1.0.2/24' } }, BOTH));
    expect(r.code).toBe(1);
    expect(r.json.code).toBe(1);
  });

  for (const main of ['bridge', 'ptp'] as Main[]) {
    it.each(VERSIONS)(`after ${main}, cniVersion %s: ADD, CHECK, DEL, DEL again`, async (v) => {
      const mc = mainConf(main, v, data.path);
      const prev = await mainAdd(host, main, mc, ctr, 'ctr-bw');
      const veth = hostVeth(prev);
      const c = bwConf(v, prev, BOTH);
      const add = await run('ADD', c);
      expect(add.stderr).toBe('');
      expect(add.code).toBe(0);
      const ifb = ifbOf('bwnet', 'ctr-bw');
      const ifbLink = linkInfo(host, ifb);
      expect(add.json).toEqual({
        ...prev,
        interfaces: [...prev.interfaces, { name: ifb, mac: ifbLink.address }],
      });
      // ingress: tbf on the host veth; egress: ingress qdisc + redirect to the ifb, tbf there
      const q = tcJson(host, 'qdisc', 'show', 'dev', veth);
      expect(q.map((x) => [x.kind, x.handle, x.root ?? x.parent])).toEqual([
        ['tbf', '1:', true],
        ['ingress', 'ffff:', 'ffff:fff1'],
      ]);
      expect(q[0].options).toEqual({ rate: 100_000, burst: 20_000, lat: 25_000 });
      expect(ifbLink.linkinfo.info_kind).toBe('ifb');
      expect(ifbLink.flags).toContain('UP');
      expect(ifbLink.mtu).toBe(linkInfo(host, veth).mtu);
      expect(ip(host, 'link', 'show', ifb)).not.toMatch(/qlen/); // txqlen 0, as the reference
      const qi = tcJson(host, 'qdisc', 'show', 'dev', ifb);
      expect(qi.map((x) => [x.kind, x.handle, x.options])).toEqual([
        ['tbf', '1:', { rate: 200_000, burst: 10_000, lat: 25_000 }],
      ]);
      const f = filterView(host, veth).find((x) => x.options?.actions);
      expect(f).toMatchObject({ protocol: 'all', pref: 1, kind: 'u32' });
      expect(f.options).toMatchObject({ flowid: '1:1', match: { value: '0', mask: '0', off: 0 } });
      expect(
        f.options.actions.map((a: { to_dev: string; control_action: { type: string } }) => [
          a.to_dev,
          a.control_action.type,
        ]),
      ).toEqual([
        [ifb, 'stolen'],
        [ifb, 'pass'],
      ]);
      if (CHECK_VERSIONS.has(v)) {
        const check = await run('CHECK', bwConf(v, add.json, BOTH));
        expect(check.stdout + check.stderr).toBe('');
        expect(check.code).toBe(0);
      }
      const del = await run('DEL', bwConf(v, undefined, BOTH));
      expect(del.stdout + del.stderr).toBe('');
      expect(del.code).toBe(0);
      expect(linkNames(host)).not.toContain(ifb);
      expect((await run('DEL', bwConf(v, undefined, BOTH))).code).toBe(0);
      await mainDel(host, main, mc, ctr, 'ctr-bw');
    });
  }

  it('no or all-zero bandwidth: prevResult passes through, nothing is created', async () => {
    const prev = await mainAdd(host, 'bridge', mainConf('bridge', '1.0.0', data.path), ctr, 'ctr-bw');
    const veth = hostVeth(prev);
    for (const extra of [{}, { ingressRate: 0, ingressBurst: 0 }, { runtimeConfig: { bandwidth: {} } }]) {
      const r = await run('ADD', bwConf('1.0.0', prev, extra));
      expect(r.code).toBe(0);
      expect(r.json).toEqual(prev);
    }
    expect(
      tcJson(host, 'qdisc', 'show', 'dev', veth).some((q) => q.kind === 'tbf' || q.kind === 'ingress'),
    ).toBe(false);
    expect(linkNames(host).filter((n) => n.startsWith('bwp'))).toEqual([]);
    // CHECK of a config without bandwidth succeeds
    expect((await run('CHECK', bwConf('1.0.0', prev))).code).toBe(0);
  });

  it('runtimeConfig.bandwidth, ingress only: tbf on the host veth, no ifb', async () => {
    const prev = await mainAdd(host, 'ptp', mainConf('ptp', '1.1.0', data.path), ctr, 'ctr-bw');
    const veth = hostVeth(prev);
    const c = bwConf('1.1.0', prev, {
      capabilities: { bandwidth: true },
      runtimeConfig: { bandwidth: { ingressRate: 8000, ingressBurst: 80 } },
    });
    const r = await run('ADD', c);
    expect(r.code).toBe(0);
    expect(r.json.interfaces).toEqual(prev.interfaces);
    const q = tcJson(host, 'qdisc', 'show', 'dev', veth);
    expect(q.map((x) => x.kind)).toEqual(['tbf']);
    expect(q[0].options.rate).toBe(1000);
    expect(linkNames(host).filter((n) => n.startsWith('bwp'))).toEqual([]);
    expect((await run('CHECK', bwConf('1.1.0', prev, c))).code).toBe(0);
  });

  it('egress only: no tbf on the host veth, ifb shaped', async () => {
    const prev = await mainAdd(host, 'bridge', mainConf('bridge', '1.0.0', data.path), ctr, 'ctr-bw');
    const veth = hostVeth(prev);
    const r = await run('ADD', bwConf('1.0.0', prev, { egressRate: 16, egressBurst: 9 }));
    expect(r.code).toBe(0);
    expect(tcJson(host, 'qdisc', 'show', 'dev', veth).map((x) => x.kind)).not.toContain('tbf');
    expect(tcJson(host, 'qdisc', 'show', 'dev', veth).map((x) => x.kind)).toContain('ingress');
    const qi = tcJson(host, 'qdisc', 'show', 'dev', ifbOf('bwnet', 'ctr-bw'));
    expect(qi[0]).toMatchObject({ kind: 'tbf', options: { rate: 2 } });
  });

  it('CHECK notices a changed or missing qdisc', async () => {
    const prev = await mainAdd(host, 'bridge', mainConf('bridge', '1.0.0', data.path), ctr, 'ctr-bw');
    const veth = hostVeth(prev);
    const add = await run('ADD', bwConf('1.0.0', prev, BOTH));
    expect(add.code).toBe(0);
    const ifb = ifbOf('bwnet', 'ctr-bw');
    inNs(
      host,
      'tc',
      'qdisc',
      'change',
      'dev',
      ifb,
      'root',
      'tbf',
      'rate',
      '1mbit',
      'burst',
      '10000',
      'latency',
      '25ms',
    );
    let r = await run('CHECK', bwConf('1.0.0', add.json, BOTH));
    expect(r.code).toBe(1);
    expect(r.json.msg).toMatch(/^Rate doesn't match/);
    inNs(
      host,
      'tc',
      'qdisc',
      'change',
      'dev',
      veth,
      'root',
      'tbf',
      'rate',
      '800kbit',
      'burst',
      '20000',
      'latency',
      '50ms',
    );
    r = await run('CHECK', bwConf('1.0.0', add.json, BOTH));
    expect(r.json.msg).toMatch(/^Limit doesn't match/);
    inNs(host, 'tc', 'qdisc', 'del', 'dev', veth, 'root');
    ip(host, 'link', 'del', ifb);
    r = await run('CHECK', bwConf('1.0.0', add.json, { egressRate: 8000, egressBurst: 8000 }));
    expect(r.json.msg).toMatch(/^get ifb device: .*not found/i);
    // ingress now has only the ingress qdisc left: the loop stops at the first non-tbf
    inNs(host, 'tc', 'qdisc', 'del', 'dev', veth, 'ingress');
    r = await run('CHECK', bwConf('1.0.0', add.json, { ingressRate: 8000, ingressBurst: 8000 }));
    expect(r.code).toBe(0); // the veth's default noqueue qdisc is not a tbf, as in the reference
  });

  it('validation errors name the key and value; nothing is created', async () => {
    const prev = await mainAdd(host, 'bridge', mainConf('bridge', '1.0.0', data.path), ctr, 'ctr-bw');
    const veth = hostVeth(prev);
    const cases: [object, RegExp][] = [
      [
        { ingressRate: 1000 },
        /^if rate is set, burst must also be set \(ingressRate 1000, ingressBurst 0\)$/,
      ],
      [{ egressBurst: 1000 }, /^if burst is set, rate must also be set/],
      [{ egressRate: 1000, egressBurst: 8 * 2 ** 32 }, /^burst cannot be more than 4GB/],
      [{ egressRate: 4, egressBurst: 8 }, /^invalid egressRate 4/],
      [{ ingressRate: 8000, ingressBurst: 4 }, /^invalid ingressBurst 4/],
      [{ ingressRate: 'fast', ingressBurst: 1 }, /cannot unmarshal string "fast".*ingressRate/],
    ];
    for (const [extra, re] of cases) {
      const r = await run('ADD', bwConf('1.0.0', prev, extra));
      expect(r.code).toBe(1);
      expect(r.json.code).toBe(999);
      expect(r.json.msg).toMatch(re);
    }
    expect(tcJson(host, 'qdisc', 'show', 'dev', veth).map((q) => q.kind)).not.toContain('tbf');
    expect(linkNames(host).filter((n) => n.startsWith('bwp'))).toEqual([]);
    // a bad config also fails DEL, as in the reference
    expect((await run('DEL', bwConf('1.0.0', undefined, { ingressRate: 5 }))).code).toBe(1);
  });

  it('needs a prevResult and a veth whose peer the prevResult lists', async () => {
    let r = await run('ADD', bwConf('1.0.0', undefined, BOTH));
    expect(r.json).toEqual({ code: 999, msg: 'must be called as chained plugin' });
    r = await run('CHECK', bwConf('1.0.0', undefined, BOTH));
    expect(r.json).toEqual({ code: 999, msg: 'must be called as a chained plugin' });
    const prev = await mainAdd(host, 'bridge', mainConf('bridge', '1.0.0', data.path), ctr, 'ctr-bw');
    r = await run('ADD', bwConf('1.0.0', { ...prev, interfaces: [] }, BOTH));
    expect(r.json.msg).toBe('no interfaces provided');
    r = await run('ADD', bwConf('1.0.0', prev, BOTH), { ifName: 'nope0' });
    expect(r.json.msg).toMatch(/^container interface nope0 has no veth peer: /);
    ip(ctr, 'link', 'add', 'dm0', 'type', 'bridge');
    r = await run('ADD', bwConf('1.0.0', prev, BOTH), { ifName: 'dm0' });
    expect(r.json.msg).toMatch(/^container interface dm0 has no veth peer: .*not a veth/);
    const onlyCtr = { ...prev, interfaces: prev.interfaces.filter((i: { sandbox?: string }) => i.sandbox) };
    r = await run('ADD', bwConf('1.0.0', onlyCtr, BOTH));
    expect(r.json.msg).toBe('no veth peer of container interface found in host ns');
    expect(linkNames(host).filter((n) => n.startsWith('bwp'))).toEqual([]);
  });

  it('rolls back the tbf and the ifb when a later step fails', async () => {
    const prev = await mainAdd(host, 'bridge', mainConf('bridge', '1.0.0', data.path), ctr, 'ctr-bw');
    const veth = hostVeth(prev);
    inNs(host, 'tc', 'qdisc', 'add', 'dev', veth, 'ingress');
    const r = await run('ADD', bwConf('1.0.0', prev, BOTH));
    expect(r.code).toBe(1);
    expect(r.json.msg).toMatch(/^create ingress qdisc: .*exists/i);
    const kinds = tcJson(host, 'qdisc', 'show', 'dev', veth).map((q) => q.kind);
    expect(kinds).not.toContain('tbf');
    expect(kinds).toContain('ingress'); // the one we did not make stays
    expect(linkNames(host).filter((n) => n.startsWith('bwp'))).toEqual([]);
  });

  it('a second ADD fails on the existing ifb and leaves the first one intact', async () => {
    const prev = await mainAdd(host, 'bridge', mainConf('bridge', '1.0.0', data.path), ctr, 'ctr-bw');
    const veth = hostVeth(prev);
    const egressOnly = { egressRate: 1_600_000, egressBurst: 80_000 };
    expect((await run('ADD', bwConf('1.0.0', prev, egressOnly))).code).toBe(0);
    const before = { q: tcJson(host, 'qdisc', 'show'), f: filterView(host, veth) };
    // now with ingress too: the tbf is made first, then the ifb exists → rolled back
    const r = await run('ADD', bwConf('1.0.0', prev, BOTH));
    expect(r.code).toBe(1);
    expect(r.json.msg).toMatch(/^adding link: .*exists/i);
    expect({ q: tcJson(host, 'qdisc', 'show'), f: filterView(host, veth) }).toEqual(before);
    expect(linkNames(host)).toContain(ifbOf('bwnet', 'ctr-bw'));
  });

  it('DEL needs no namespace and no prevResult; a missing ifb is fine', async () => {
    const r = await run('DEL', bwConf('1.0.0', undefined, BOTH), { netns: '' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
  });

  it('STATUS succeeds', async () => {
    const r = await runIn(host, bin, {
      command: 'STATUS',
      containerID: '',
      stdin: bwConf('1.1.0', undefined),
    });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('GC deletes the bwp ifbs of attachments no longer valid, and only bwp ifbs', async () => {
    ctr2 = makeNetNS('bwc2');
    const mc = mainConf('bridge', '1.1.0', data.path);
    const p1 = await mainAdd(host, 'bridge', mc, ctr, 'gc-one');
    const p2 = await mainAdd(host, 'bridge', mc, ctr2, 'gc-two');
    expect((await run('ADD', bwConf('1.1.0', p1, BOTH), { containerID: 'gc-one' })).code).toBe(0);
    expect(
      (await run('ADD', bwConf('1.1.0', p2, BOTH), { containerID: 'gc-two', netns: ctr2.path })).code,
    ).toBe(0);
    const one = ifbOf('bwnet', 'gc-one');
    const two = ifbOf('bwnet', 'gc-two');
    ip(host, 'link', 'add', 'ifb7', 'type', 'ifb'); // not ours: no bwp name
    ip(host, 'link', 'add', 'bwpnothex', 'type', 'ifb'); // not a bwp<hash> name
    ip(host, 'link', 'add', 'bwp0123456789ab', 'type', 'bridge'); // right name, not an ifb
    ip(host, 'link', 'add', 'bwpaaaaaaaaaaaa', 'type', 'ifb'); // no alias: made by Go or by hand
    // another network's ifb in the same namespace, with our alias
    ip(host, 'link', 'add', 'bwpbbbbbbbbbbbb', 'type', 'ifb');
    ip(host, 'link', 'set', 'bwpbbbbbbbbbbbb', 'alias', 'cni-bandwidth othernet gc-three');
    expect(ip(host, 'link', 'show', one)).toContain('alias cni-bandwidth bwnet gc-one');
    const gc = (valid: object[]) =>
      runIn(host, bin, {
        command: 'GC',
        containerID: '',
        stdin: { ...bwConf('1.1.0', undefined), 'cni.dev/valid-attachments': valid },
      });
    let r = await gc([{ containerID: 'gc-one', ifname: 'eth0' }]);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
    let names = linkNames(host);
    expect(names).toContain(one);
    expect(names).not.toContain(two);
    expect(names).toEqual(
      expect.arrayContaining(['ifb7', 'bwpnothex', 'bwp0123456789ab', 'bwpaaaaaaaaaaaa', 'bwpbbbbbbbbbbbb']),
    );
    r = await gc([]);
    expect(r.code).toBe(0);
    names = linkNames(host);
    expect(names).not.toContain(one);
    expect(names).toEqual(
      expect.arrayContaining(['ifb7', 'bwpnothex', 'bwp0123456789ab', 'bwpaaaaaaaaaaaa', 'bwpbbbbbbbbbbbb']),
    );
    r = await gc([{ containerID: 5 }]);
    expect(r.code).toBe(1);
    expect(r.json.msg).toMatch(/valid-attachments\[0\]\.containerID/);
  });
});
