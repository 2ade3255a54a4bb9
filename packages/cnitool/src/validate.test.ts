import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkConfig,
  findNetworkFile,
  formatReport,
  parseJSONText,
  pathKey,
  suggest,
  validate,
} from './validate.js';

const paths = (findings: { path: string; level: string }[], level = 'error') =>
  findings.filter((f) => f.level === level).map((f) => f.path);

describe('checkConfig (static)', () => {
  it('accepts a good list and collects capabilities', () => {
    const r = checkConfig(
      {
        cniVersion: '1.0.0',
        name: 'good',
        plugins: [
          { type: 'bridge', ipam: { type: 'host-local' } },
          { type: 'portmap', capabilities: { portMappings: true, other: false } },
        ],
      },
      'conflist',
    );
    expect(r.findings).toEqual([]);
    expect(r.name).toBe('good');
    expect(r.cniVersion).toBe('1.0.0');
    expect(r.capabilities).toEqual(['portMappings']);
    expect(r.plugins.map((p) => [p.path, p.type, p.ipamType])).toEqual([
      ['$.plugins[0]', 'bridge', 'host-local'],
      ['$.plugins[1]', 'portmap', undefined],
    ]);
  });

  it('names every error by its JSON path, not only the first', () => {
    const r = checkConfig(
      {
        cniVersion: 4,
        name: 'bad name',
        disableCheck: 'maybe',
        plugins: [
          { ipam: { type: 7 } },
          'x',
          { type: 'a/b', capabilities: { portMappings: 'yes' }, dns: { nameservers: [1] }, ipMasq: 1 },
          { type: 'ok', ipam: {}, runtimeConfig: {}, 'cni.dev/x': 1, name: 'n' },
        ],
      },
      'conflist',
    );
    expect(paths(r.findings)).toEqual([
      '$.name',
      '$.cniVersion',
      '$.disableCheck',
      '$.plugins[0].type',
      '$.plugins[0].ipam.type',
      '$.plugins[1]',
      '$.plugins[2].type',
      '$.plugins[2].capabilities.portMappings',
      '$.plugins[2].dns.nameservers[0]',
      '$.plugins[2].ipMasq',
      '$.plugins[3].ipam.type',
    ]);
    expect(paths(r.findings, 'warning')).toEqual([
      '$.plugins[3].runtimeConfig',
      '$.plugins[3]["cni.dev/x"]',
      '$.plugins[3].name',
    ]);
    expect(r.findings.find((f) => f.path === '$.cniVersion')?.message).toBe('must be a string, got number 4');
  });

  it('checks versions and negotiates cniVersions as libcni does', () => {
    const r = checkConfig(
      { cniVersion: '0.4.0', cniVersions: ['1.0.0', '9.0.0', 'x.1'], name: 'v', plugins: [{ type: 't' }] },
      'conflist',
    );
    expect(r.cniVersion).toBe('1.0.0');
    expect(paths(r.findings)).toEqual(['$.cniVersions[2]']);
    expect(paths(r.findings, 'warning')).toEqual(['$.cniVersions[1]']);
    const u = checkConfig({ cniVersion: '1.7.0', name: 'v', plugins: [{ type: 't' }] }, 'conflist');
    expect(u.findings[0]?.message).toMatch(/unsupported version "1.7.0"/);
  });

  it('plugins: missing, wrong type, empty; loadOnlyInlinedPlugins', () => {
    expect(checkConfig({ cniVersion: '1.0.0', name: 'n' }, 'conflist').findings[0]).toMatchObject({
      path: '$.plugins',
      message: 'no plugin configs found',
    });
    expect(checkConfig({ cniVersion: '1.0.0', name: 'n', plugins: {} }, 'conflist').findings[0]?.path).toBe(
      '$.plugins',
    );
    expect(
      checkConfig({ cniVersion: '1.0.0', name: 'n', plugins: [] }, 'conflist').findings[0]?.message,
    ).toBe('no plugins in list');
    expect(
      checkConfig({ cniVersion: '1.0.0', name: 'n', loadOnlyInlinedPlugins: true }, 'conflist').findings[0]
        ?.message,
    ).toMatch(/loadOnlyInlinedPlugins/);
    expect(checkConfig([1], 'conflist').findings[0]?.path).toBe('$');
  });

  it('single .conf: deprecated, checked as one plugin at $', () => {
    const r = checkConfig({ cniVersion: '0.3.1', name: 'c', type: 'bridge' }, 'conf');
    expect(paths(r.findings)).toEqual([]);
    expect(r.findings[0]?.message).toMatch(/deprecated/);
    expect(r.plugins[0]).toMatchObject({ path: '$', type: 'bridge' });
  });

  it("the reference plugins' keys: typos are warnings with a suggestion, wrong types and values errors", () => {
    const r = checkConfig(
      {
        cniVersion: '1.0.0',
        name: 'k',
        plugins: [
          {
            type: 'bridge',
            isGatway: true,
            ISGATEWAY: true,
            mtu: 1500.5,
            hairpinMode: 'yes',
            ipMasqBackend: 'pf',
            vlan: null,
            ipam: { type: 'host-local', rangs: [], dataDir: 5, Subnet: '10.0.0.0/24' },
          },
          { type: 'bandwidth', ingressRate: -1, egressBurst: 10 },
          { type: 'ipvlan', mode: 'l4' },
          { type: 'my-own', anything: 1 },
        ],
      },
      'conflist',
    );
    expect(r.findings.map((f) => `${f.level} ${f.path}: ${f.message}`)).toEqual([
      'warning $.plugins[0].isGatway: not a key of the bridge plugin: ignored; did you mean "isGateway"?',
      'error $.plugins[0].mtu: the bridge plugin: must be an integer, got 1500.5',
      'error $.plugins[0].hairpinMode: the bridge plugin: must be a boolean, got "yes"',
      'error $.plugins[0].ipMasqBackend: the bridge plugin: must be one of "iptables", "nftables", got "pf"',
      'warning $.plugins[0].ipam.rangs: not a key of the host-local IPAM plugin: ignored; did you mean "ranges"?',
      'error $.plugins[0].ipam.dataDir: the host-local IPAM plugin: must be a string, got 5',
      'error $.plugins[1].ingressRate: the bandwidth plugin: must be a non-negative integer, got -1',
      'error $.plugins[2].mode: the ipvlan plugin: must be one of "l2", "l3", "l3s", got "l4"',
    ]);
  });

  it('the demo network validates without findings (every version it may use)', async () => {
    const { demoConfList, DEMO_VERSIONS } = await import('./demo.js');
    for (const v of DEMO_VERSIONS) {
      const r = checkConfig(demoConfList('/tmp/x', undefined, v), 'conflist');
      expect(r.findings).toEqual([]);
      expect(r.cniVersion).toBe(v);
      expect(r.capabilities).toEqual(['portMappings', 'bandwidth']);
    }
  });

  it('helpers: JSON paths, syntax positions, suggestions', () => {
    expect(pathKey('$', 'a')).toBe('$.a');
    expect(pathKey('$.a', 3)).toBe('$.a[3]');
    expect(pathKey('$', 'a-b')).toBe('$["a-b"]');
    expect(parseJSONText('{\n  "a": 1,\n  "b" 2\n}').error).toMatch(/^invalid JSON at line 3, column 7: /);
    expect(suggest('brige', ['bridge', 'ptp'])).toBe('bridge');
    expect(suggest('zzzzzz', ['bridge', 'ptp'])).toBeUndefined();
  });
});

describe('validate (files, plugin lookup, VERSION)', () => {
  let dir: string;
  let bin: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cnitool-validate-'));
    bin = join(dir, 'bin');
    mkdirSync(bin);
    for (const t of ['bridge', 'host-local', 'oldie']) {
      writeFileSync(join(bin, t), '#!/bin/sh\n');
      chmodSync(join(bin, t), 0o755);
    }
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const probe = async (type: string) => (type === 'oldie' ? ['0.1.0', '0.2.0'] : ['0.4.0', '1.0.0', '1.1.0']);

  it('finds a network by name like LoadNetworkConf and reports binaries and versions', async () => {
    writeFileSync(join(dir, '00-broken.conflist'), '{"name": ');
    writeFileSync(
      join(dir, '10-n.conflist'),
      JSON.stringify({
        cniVersion: '1.1.0',
        name: 'n',
        plugins: [
          { type: 'bridge', ipam: { type: 'host-local' } },
          { type: 'brige' },
          { type: 'portmap' },
          { type: 'oldie' },
          { type: 'mystery-plugin' },
        ],
      }),
    );
    const r = await validate('n', { netDir: dir, paths: [bin], probe });
    expect(r.valid).toBe(false);
    expect(r.source).toBe(join(dir, '10-n.conflist'));
    const msgs = r.findings.map((f) => `${f.level} ${f.path}: ${f.message}`);
    expect(msgs).toEqual([
      `error $.plugins[1].type: unknown plugin type "brige": not a reference plugin and not found in CNI_PATH [${bin}]; did you mean "bridge"?`,
      `error $.plugins[2].type: missing binary: plugin "portmap" not found in CNI_PATH [${bin}]`,
      'error $.plugins[3].type: plugin oldie does not support config version "1.1.0" (it supports 0.1.0, 0.2.0)',
      `error $.plugins[4].type: unknown plugin type "mystery-plugin": not a reference plugin and not found in CNI_PATH [${bin}]`,
      expect.stringMatching(
        /^warning 00-broken.conflist: invalid JSON at line 1, column 10: .* libcni stops at this file/,
      ),
    ]);
    expect(r.plugins[0]).toMatchObject({ binary: join(bin, 'bridge'), ipamBinary: join(bin, 'host-local') });
    expect(formatReport(r)).toMatch(/invalid \(4 errors, 1 warning\)\n$/);
  });

  it('a valid file by path; sibling plugin folder; not found and no configs', async () => {
    const f = join(dir, 'x.conflist');
    writeFileSync(f, JSON.stringify({ cniVersion: '1.0.0', name: 'x', plugins: [{ type: 'bridge' }] }));
    mkdirSync(join(dir, 'x'));
    writeFileSync(join(dir, 'x', '20-more.conf'), JSON.stringify({ type: 'host-local' }));
    writeFileSync(join(dir, 'x', '30-bad.conf'), JSON.stringify({ nottype: 1 }));
    const r = await validate(f, { netDir: '/nonexistent', paths: [bin], probe });
    expect(r.plugins.map((p) => p.type)).toEqual(['bridge', 'host-local', '']);
    expect(r.findings.map((f) => f.path)).toEqual(['x/30-bad.conf: $.type']);
    expect((await validate('nope', { netDir: dir, paths: [bin] })).findings.at(-1)?.message).toBe(
      `no net configuration with name "nope" in ${dir}`,
    );
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect((await validate('nope', { netDir: empty, paths: [bin] })).findings[0]?.message).toBe(
      `no net configurations found in ${empty}`,
    );
    const ok = join(dir, 'ok.conflist');
    writeFileSync(ok, JSON.stringify({ cniVersion: '1.0.0', name: 'ok', plugins: [{ type: 'bridge' }] }));
    const good = await validate(ok, { netDir: dir, paths: [bin], probe });
    expect(good.valid).toBe(true);
    expect(formatReport(good)).toContain('valid (0 errors, 0 warnings)');
    expect(findNetworkFile(dir, 'ok')).toMatchObject({ file: ok, kind: 'conflist' });
  });

  it('no CNI_PATH, a failing VERSION, a list in a .conf', async () => {
    const f = join(dir, 'one.conf');
    writeFileSync(f, JSON.stringify({ cniVersion: '1.0.0', name: 'one', type: 'bridge', plugins: [] }));
    const r = await validate(f, { netDir: dir, paths: [] });
    expect(r.findings.filter((x) => x.level === 'error').map((x) => x.message)).toEqual([
      expect.stringMatching(/libcni ignores 'plugins' here/),
      'CNI_PATH is not set: no plugin can be found',
    ]);
    const g = await validate(f, {
      netDir: dir,
      paths: [bin],
      probe: async () => {
        throw new Error('boom');
      },
    });
    expect(g.findings.map((x) => x.message)).toContain(
      `plugin "bridge" (${join(bin, 'bridge')}) failed VERSION: boom`,
    );
  });
});
