// loopback as a real process from dist/cni/bin (run `pnpm build` first), next to the Go
// reference in /usr/lib/cni, for every spec version: same output, same `lo` state.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import {
  destroyNetNS,
  distCniBin,
  makeNetNS,
  type PluginProcessResult,
  type RunPluginOptions,
  runPluginProcess,
  type TestNetNS,
} from '@cni-internal/test-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const GO = '/usr/lib/cni';
const VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];

let host: TestNetNS;
let ours: TestNetNS;
let theirs: TestNetNS;
beforeEach(() => {
  host = makeNetNS('loh');
  ours = makeNetNS('loc');
  theirs = makeNetNS('loc');
  // makeNetNS may already have brought lo up: start from the state a runtime gives us
  for (const n of [ours, theirs]) execFileSync('ip', ['-n', n.name, 'link', 'set', 'lo', 'down']);
});
afterEach(() => {
  for (const n of [ours, theirs, host]) destroyNetNS(n);
});

function run(dir: string, opts: RunPluginOptions): Promise<PluginProcessResult> {
  let p!: Promise<PluginProcessResult>;
  host.run(() => {
    p = runPluginProcess(join(dir, 'loopback'), {
      path: dir,
      ...opts,
      env: { NODE_EXTRA_CA_CERTS: undefined },
    });
  });
  return p;
}

const loFlags = (n: TestNetNS): string[] =>
  JSON.parse(execFileSync('ip', ['-n', n.name, '-j', 'link', 'show', 'lo'], { encoding: 'utf8' }))[0].flags;
const conf = (v: string, extra: object = {}) => ({
  cniVersion: v,
  name: 'lo-net',
  type: 'loopback',
  ...extra,
});
/**
 * The printed result as data, the sandbox path mapped to the other namespace. Compared as JSON:
 * key order is @cni/skel's formatter's business, and Go 1.1.1 still prints an empty `dns`
 * object for 1.0.0 results, which the reference dropped later (1.x omits an empty dns).
 */
const norm = (r: PluginProcessResult, from?: TestNetNS, to?: TestNetNS) => {
  const j = JSON.parse(from && to ? r.stdout.replaceAll(from.path, to.path) : r.stdout);
  if (j.cniVersion >= '1' && j.dns && Object.keys(j.dns).length === 0) delete j.dns;
  return j;
};
// Debian's Go loopback (v1.1.1) predates spec 1.1.0: there, ours is checked on its own.
const GO_VERSIONS = new Set(VERSIONS.filter((v) => v !== '1.1.0'));

describe('loopback side by side with Go', () => {
  it.each(VERSIONS)('%s: ADD, CHECK, DEL print and do the same', async (v) => {
    const cfg = conf(v);
    const a = await run(distCniBin, { command: 'ADD', netns: ours.path, ifName: 'eth9', stdin: cfg });
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    if (GO_VERSIONS.has(v)) {
      const g = await run(GO, { command: 'ADD', netns: theirs.path, ifName: 'eth9', stdin: cfg });
      expect(g.code).toBe(0);
      expect(norm(a, ours, theirs)).toEqual(norm(g));
    } else {
      expect(a.json).toEqual({
        cniVersion: v,
        interfaces: [{ name: 'lo', mac: '00:00:00:00:00:00', sandbox: ours.path }],
        ips: [
          { interface: 0, address: '127.0.0.1/8' },
          { interface: 0, address: '::1/128' },
        ],
      });
    }
    expect(loFlags(ours)).toContain('UP');
    if (v >= '1' || v === '0.4.0') {
      const ac = await run(distCniBin, {
        command: 'CHECK',
        netns: ours.path,
        stdin: { ...cfg, prevResult: a.json },
      });
      expect(ac.stdout + ac.stderr).toBe('');
      expect(ac.code).toBe(0);
    }
    const ad = await run(distCniBin, { command: 'DEL', netns: ours.path, stdin: cfg });
    expect([ad.code, ad.stdout]).toEqual([0, '']);
    expect(loFlags(ours)).not.toContain('UP');
    if (GO_VERSIONS.has(v)) {
      const gd = await run(GO, { command: 'DEL', netns: theirs.path, stdin: cfg });
      expect([gd.code, gd.stdout]).toEqual([0, '']);
      expect(loFlags(theirs)).not.toContain('UP');
    }
  });

  it('passes a prevResult through unchanged, as Go', async () => {
    const prevResult = {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', sandbox: '/x' }],
      ips: [{ address: '10.1.2.3/24', interface: 0 }],
    };
    const cfg = conf('1.0.0', { prevResult });
    const a = await run(distCniBin, { command: 'ADD', netns: ours.path, stdin: cfg });
    const g = await run(GO, { command: 'ADD', netns: theirs.path, stdin: cfg });
    expect(a.code).toBe(0);
    expect(norm(a)).toEqual(norm(g));
    expect(a.json).toEqual(prevResult);
  });

  it('CHECK fails when lo is down; a non-loopback address on lo fails ADD', async () => {
    const cfg = conf('1.0.0');
    const c = await run(distCniBin, {
      command: 'CHECK',
      netns: ours.path,
      stdin: { ...cfg, prevResult: { cniVersion: '1.0.0' } },
    });
    expect(c.json).toEqual({ code: 999, msg: 'loopback interface is down' });
    execFileSync('ip', ['-n', ours.name, 'addr', 'add', '10.9.9.9/32', 'dev', 'lo']);
    execFileSync('ip', ['-n', theirs.name, 'addr', 'add', '10.9.9.9/32', 'dev', 'lo']);
    const a = await run(distCniBin, { command: 'ADD', netns: ours.path, stdin: cfg });
    const g = await run(GO, { command: 'ADD', netns: theirs.path, stdin: cfg });
    expect(a.code).toBe(1);
    expect(a.json.msg).toBe(g.json.msg);
  });

  it('DEL succeeds with an empty or vanished netns, and twice', async () => {
    const cfg = conf('1.0.0');
    expect((await run(distCniBin, { command: 'DEL', netns: '', stdin: cfg })).code).toBe(0);
    expect(
      (await run(distCniBin, { command: 'DEL', netns: '/run/netns/cnitest-gone-0', stdin: cfg })).code,
    ).toBe(0);
    for (let i = 0; i < 2; i++)
      expect((await run(distCniBin, { command: 'DEL', netns: ours.path, stdin: cfg })).code).toBe(0);
  });

  it('STATUS and GC succeed', async () => {
    const cfg = conf('1.1.0');
    expect((await run(distCniBin, { command: 'STATUS', stdin: cfg })).code).toBe(0);
    expect((await run(distCniBin, { command: 'GC', stdin: cfg })).code).toBe(0);
  });
});
