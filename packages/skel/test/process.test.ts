// A plugin built on @cni/skel, run as a real process (env + stdin), for every verb and spec
// version, and side by side with the Go reference plugin for the shared error paths.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyNetNS, makeNetNS, runPluginProcess, type TestNetNS } from '@cni-internal/test-kit';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertResult, formatResult, parseResult, SPEC_VERSIONS } from '../src/index.js';

let dir: string;
let exe: string;
let ns: TestNetNS;
const GO_LOOPBACK = '/usr/lib/cni/loopback';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skel-proc-'));
  exe = join(dir, 'fixture.mjs');
  await build({
    entryPoints: [join(import.meta.dirname, 'fixtures', 'fixture-plugin.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile: exe,
    logLevel: 'warning',
  });
  ns = makeNetNS('skel');
});

afterAll(() => {
  destroyNetNS(ns);
  rmSync(dir, { recursive: true, force: true });
});

const conf = (v: string, extra: Record<string, unknown> = {}) => ({
  cniVersion: v,
  name: 'net1',
  type: 'fixture',
  ...extra,
});

describe('VERSION', () => {
  it('prints the versions, compact, newline-terminated, ignoring stdin', async () => {
    const r = await runPluginProcess(exe, { command: 'VERSION', stdin: 'not json at all' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`{"cniVersion":"1.1.0","supportedVersions":${JSON.stringify(SPEC_VERSIONS)}}\n`);
    expect(r.stderr).toBe('');
  });

  it('no CNI_COMMAND: the about text on stderr, exit 0', async () => {
    const r = await runPluginProcess(exe, { command: '', stdin: '' });
    expect(r).toMatchObject({
      code: 0,
      stdout: '',
      stderr: `CNI fixture plugin v0.0.1\nCNI protocol versions supported: ${SPEC_VERSIONS.join(', ')}\n`,
    });
  });
});

describe.each(SPEC_VERSIONS)('spec version %s', (v) => {
  const log = () => join(dir, `log-${v}`);
  const env = () => ({ FIXTURE_LOG: log() });

  it('ADD prints the result in the config version', async () => {
    const r = await runPluginProcess(exe, { command: 'ADD', netns: ns.path, stdin: conf(v), env: env() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.json.cniVersion).toBe(v);
    const expected = parseResult({
      cniVersion: '1.1.0',
      interfaces: [{ name: 'eth0', mac: '0a:58:0a:01:00:05', mtu: 1500, sandbox: '/run/netns/x' }],
      ips: [
        { interface: 0, address: '10.1.0.5/24', gateway: '10.1.0.1' },
        { interface: 0, address: 'fd00::5/64', gateway: 'fd00::1' },
      ],
      routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }],
      dns: { nameservers: ['10.1.0.53'] },
    });
    expect(r.stdout).toBe(formatResult(expected, v));
  });

  it('ADD with a prevResult passes it through, converted', async () => {
    const prev = {
      cniVersion: v,
      ...(v < '0.3.0'
        ? { ip4: { ip: '10.9.0.2/16' } }
        : { ips: [{ ...(v < '1.0.0' ? { version: '4' } : {}), address: '10.9.0.2/16' }] }),
    };
    const r = await runPluginProcess(exe, {
      command: 'ADD',
      netns: ns.path,
      stdin: conf(v, { prevResult: prev }),
    });
    expect(r.code).toBe(0);
    expect(r.json).toEqual(convertResult(parseResult(prev), v));
  });

  it('DEL succeeds silently (also without CNI_NETNS)', async () => {
    for (const netns of [ns.path, '']) {
      const r = await runPluginProcess(exe, { command: 'DEL', netns, stdin: conf(v), env: env() });
      expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    }
  });

  it('CHECK: allowed from 0.4.0, else code 1', async () => {
    const r = await runPluginProcess(exe, { command: 'CHECK', netns: ns.path, stdin: conf(v), env: env() });
    if (v >= '0.4.0') expect(r).toMatchObject({ code: 0, stdout: '' });
    else expect(r).toMatchObject({ code: 1, json: { code: 1, msg: 'config version does not allow CHECK' } });
  });

  for (const verb of ['GC', 'STATUS']) {
    it(`${verb}: allowed from 1.1.0, else code 1; needs only CNI_PATH`, async () => {
      const r = await runPluginProcess(exe, {
        command: verb,
        containerID: '',
        ifName: '',
        stdin: conf(v, verb === 'GC' ? { 'cni.dev/valid-attachments': [] } : {}),
        env: env(),
      });
      if (v === '1.1.0') expect(r).toMatchObject({ code: 0, stdout: '' });
      else
        expect(r).toMatchObject({ code: 1, json: { code: 1, msg: `config version does not allow ${verb}` } });
    });
  }

  it('the handlers saw the calls that passed the checks', () => {
    const calls = readFileSync(log(), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).command);
    const want = ['ADD', 'DEL', 'DEL'];
    if (v >= '0.4.0') want.push('CHECK');
    if (v === '1.1.0') want.push('GC', 'STATUS');
    expect(calls).toEqual(want);
  });
});

describe('bad input, as a process', () => {
  const cases: [string, Parameters<typeof runPluginProcess>[1], string][] = [
    [
      'missing variables',
      { command: 'ADD', containerID: '', ifName: '', path: '', stdin: conf('1.0.0') },
      '{\n    "code": 4,\n    "msg": "required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH] missing"\n}',
    ],
    [
      'unknown command',
      { command: 'RESET', stdin: conf('1.0.0') },
      '{\n    "code": 4,\n    "msg": "unknown CNI_COMMAND: RESET"\n}',
    ],
    ['bad JSON', { command: 'DEL', stdin: '{"name"' }, ''],
    ['a bad version', { command: 'DEL', stdin: conf('0.5.0') }, ''],
    [
      'a handler exception',
      {
        command: 'ADD',
        netns: '/run/netns/none',
        stdin: conf('1.0.0'),
        env: { FIXTURE_THROW: 'kaboom <here>' },
      },
      '{\n    "code": 999,\n    "msg": "kaboom \\u003chere\\u003e"\n}',
    ],
    [
      'its own netns',
      { command: 'ADD', netns: '/proc/self/ns/net', stdin: conf('1.0.0') },
      '{\n    "code": 8,\n    "msg": "plugin\'s netns and netns from CNI_NETNS should not be the same"\n}',
    ],
  ];
  for (const [what, opts, stdout] of cases) {
    it(`${what}: error JSON on stdout, exit 1, no stack trace`, async () => {
      const r = await runPluginProcess(exe, opts);
      expect(r.code).toBe(1);
      expect(r.json).toMatchObject({ code: expect.any(Number), msg: expect.any(String) });
      if (stdout) expect(r.stdout).toBe(stdout);
      expect(r.stdout).not.toMatch(/\bat .*:\d+:\d+/);
      expect(r.stderr).not.toMatch(/\bat .*:\d+:\d+/);
    });
  }

  it('CNI_NETNS_OVERRIDE=1 allows the own netns', async () => {
    const r = await runPluginProcess(exe, {
      command: 'ADD',
      netns: '/proc/self/ns/net',
      stdin: conf('1.0.0'),
      env: { CNI_NETNS_OVERRIDE: '1' },
    });
    expect(r.code).toBe(0);
  });
});

// The Go reference plugin installed here (containernetworking-plugins 1.1.1) supports 0.1.0 …
// 1.0.0 and predates GC/STATUS; for every path they share, our output must be byte-identical.
describe.runIf(existsSync(GO_LOOPBACK))('same bytes as the Go reference plugin', () => {
  const GO_VERSIONS = '0.1.0,0.2.0,0.3.0,0.3.1,0.4.0,1.0.0';
  const cases: [string, Parameters<typeof runPluginProcess>[1]][] = [
    [
      'missing variables for ADD',
      { command: 'ADD', containerID: '', ifName: '', path: '', stdin: conf('1.0.0') },
    ],
    ['missing variables for DEL', { command: 'DEL', containerID: '', path: '', stdin: conf('1.0.0') }],
    ['an invalid container ID', { command: 'ADD', containerID: 'a/b', netns: '/x', stdin: conf('1.0.0') }],
    ['an empty interface name', { command: 'DEL', ifName: '', stdin: conf('1.0.0') }],
    ['a too long interface name', { command: 'DEL', ifName: 'eth0123456789abcdef', stdin: conf('1.0.0') }],
    ['an interface name with a colon', { command: 'DEL', ifName: 'eth0:1', stdin: conf('1.0.0') }],
    ['an interface name ..', { command: 'DEL', ifName: '..', stdin: conf('1.0.0') }],
    ['empty stdin', { command: 'DEL', stdin: '' }],
    ['broken JSON (object key)', { command: 'DEL', stdin: '{x' }],
    ['broken JSON (trailing comma)', { command: 'DEL', stdin: '{"name":"n",}' }],
    ['broken JSON (literal at the end)', { command: 'DEL', stdin: '{"name":"n","a":tru' }],
    ['broken JSON (after the value)', { command: 'DEL', stdin: '{"name":"n"} x' }],
    ['broken JSON (non-ASCII byte)', { command: 'DEL', stdin: '{"name":é}' }],
    ['a JSON array', { command: 'DEL', stdin: '[1,2]' }],
    ['a JSON string', { command: 'DEL', stdin: '"x"' }],
    ['JSON null', { command: 'DEL', stdin: 'null' }],
    ['a numeric name', { command: 'DEL', stdin: '{"name":5}' }],
    ['no name', { command: 'DEL', stdin: '{"cniVersion":"1.0.0"}' }],
    ['a bad network name', { command: 'DEL', stdin: '{"name":"a b"}' }],
    ['a numeric cniVersion', { command: 'DEL', stdin: '{"name":"n","cniVersion":1}' }],
    ['an unsupported version', { command: 'DEL', stdin: conf('1.1.0') }],
    ['a garbage version', { command: 'DEL', stdin: conf('x') }],
    ['CHECK on 0.3.1', { command: 'CHECK', netns: '/x', stdin: conf('0.3.1') }],
    ['CHECK with a garbage version', { command: 'CHECK', netns: '/x', stdin: conf('a.b.c') }],
    ['CHECK with too many version parts', { command: 'CHECK', netns: '/x', stdin: conf('1.0.0.0') }],
    ['VERSION', { command: 'VERSION', stdin: '' }],
  ];
  for (const [what, opts] of cases) {
    it(what, async () => {
      const withEnv = { ...opts, env: { FIXTURE_VERSIONS: GO_VERSIONS } };
      const [ours, go] = await Promise.all([
        runPluginProcess(exe, withEnv),
        runPluginProcess(GO_LOOPBACK, withEnv),
      ]);
      // Go 1.1.1 reports its own library version in VERSION answers
      const norm = (s: string) => s.replace('"cniVersion":"1.0.0"', '"cniVersion":"1.1.0"');
      expect({ code: ours.code, stdout: ours.stdout }).toEqual({ code: go.code, stdout: norm(go.stdout) });
    });
  }
});
