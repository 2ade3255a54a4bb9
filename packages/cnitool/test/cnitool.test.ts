// cnitool as the built process: add/check/status/del/gc against real plugins from dist/cni/bin
// (bridge, host-local, portmap) and the test kit's noop plugin, inside throwaway namespaces.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  ALL_VERSIONS,
  addrsOf,
  destroyNetNS,
  distCniBin,
  GO_CNI,
  linkNames,
  makeNetNS,
  makeNoopPlugin,
  type NoopDebug,
  readNoopDebug,
  type TempDir,
  type TestNetNS,
  tempDir,
  writeNoopDebug,
} from '@cni-internal/test-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cnitool } from './helpers.js';

const cid = (p: string) => `cnitool-${createHash('sha512').update(p).digest('hex').slice(0, 20)}`;
const atLeast = (v: string, min: string) => {
  const a = v.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
};

let host: TestNetNS | undefined;
let cont: TestNetNS | undefined;
let cont2: TestNetNS | undefined;
let tmp: TempDir;
let netDir: string;
let cacheDir: string;
let env: Record<string, string>;

beforeEach(() => {
  tmp = tempDir('cnitool-test-');
  netDir = join(tmp.path, 'net.d');
  cacheDir = join(tmp.path, 'cache');
  mkdirSync(netDir);
  host = makeNetNS('cthost');
  cont = makeNetNS('ctcont');
  env = { NETCONFPATH: netDir, CNI_PATH: distCniBin, CNI_CACHE_DIR: cacheDir };
});
afterEach(() => {
  destroyNetNS(cont2);
  destroyNetNS(cont);
  destroyNetNS(host);
  cont2 = undefined;
  cont = undefined;
  host = undefined;
  tmp.cleanup();
});

function writeList(file: string, list: Record<string, unknown>): void {
  writeFileSync(join(netDir, file), JSON.stringify(list, null, 2));
}

function bridgeList(version: string, name = 'ctnet'): Record<string, unknown> {
  const plugins: Record<string, unknown>[] = [
    {
      type: 'bridge',
      bridge: 'ctbr0',
      isGateway: true,
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.99.3.0/24' }]], dataDir: join(tmp.path, 'ipam') },
    },
  ];
  if (atLeast(version, '0.3.0')) plugins.push({ type: 'portmap', capabilities: { portMappings: true } });
  return { cniVersion: version, name, plugins };
}

const cacheFiles = () =>
  existsSync(join(cacheDir, 'results')) ? readdirSync(join(cacheDir, 'results')) : [];

describe('cnitool add/check/status/del with bridge + host-local + portmap', () => {
  for (const version of ALL_VERSIONS) {
    it(`cniVersion ${version}: the result as 4-space JSON, the interface, the cache, then gone`, async () => {
      writeList('10-ctnet.conflist', bridgeList(version));
      const c = cont as TestNetNS;
      const capArgs = JSON.stringify({
        portMappings: [{ hostPort: 18555, containerPort: 80, protocol: 'tcp' }],
      });
      const add = await cnitool(host, ['add', 'ctnet', c.path], { ...env, CAP_ARGS: capArgs });
      expect(add.code, add.stderr).toBe(0);
      expect(add.stderr).toBe('');
      // Go's Result.Print: json.MarshalIndent with 4 spaces, no trailing newline.
      expect(add.stdout).toMatch(/^\{\n {4}"/);
      expect(add.stdout.endsWith('}')).toBe(true);
      const result = JSON.parse(add.stdout);
      expect(result.cniVersion).toBe(version);
      const addr: string = atLeast(version, '0.3.0') ? result.ips[0].address : result.ip4.ip;
      expect(addrsOf(c, 'eth0')).toEqual([addr]);
      expect(cacheFiles()).toEqual([`ctnet-${cid(c.path)}-eth0`]);

      const check = await cnitool(host, ['check', 'ctnet', c.path], env);
      if (atLeast(version, '0.4.0')) {
        expect(check.code, check.stderr).toBe(0);
        expect(check.stdout).toBe('');
      } else {
        expect(check.code).toBe(1);
        expect(check.stderr).toContain(
          `configuration version "${version}" does not support the CHECK command`,
        );
      }
      const status = await cnitool(host, ['status', 'ctnet', c.path], env);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toBe('');

      const del = await cnitool(host, ['del', 'ctnet', c.path], env);
      expect(del.code, del.stderr).toBe(0);
      expect(del.stdout).toBe('');
      expect(linkNames(c)).toEqual([]);
      expect(cacheFiles()).toEqual([]);
      expect(linkNames(host as TestNetNS).filter((l) => l.startsWith('veth'))).toEqual([]);
      // DEL is idempotent.
      const again = await cnitool(host, ['del', 'ctnet', c.path], env);
      expect(again.code, again.stderr).toBe(0);
    });
  }

  it('gc DELs every cached attachment of the network (no valid attachments), as the reference', async () => {
    writeList('10-ctnet.conflist', bridgeList('1.1.0'));
    cont2 = makeNetNS('ctcont2');
    for (const c of [cont, cont2] as TestNetNS[]) {
      const add = await cnitool(host, ['add', 'ctnet', c.path], env);
      expect(add.code, add.stderr).toBe(0);
      expect(linkNames(c)).toEqual(['eth0']);
    }
    expect(cacheFiles().sort()).toEqual(
      [`ctnet-${cid((cont as TestNetNS).path)}-eth0`, `ctnet-${cid(cont2.path)}-eth0`].sort(),
    );
    const gc = await cnitool(host, ['gc', 'ctnet', (cont as TestNetNS).path], env);
    expect(gc.code, gc.stderr).toBe(0);
    expect(gc.stdout).toBe('');
    expect(linkNames(cont as TestNetNS)).toEqual([]);
    expect(linkNames(cont2)).toEqual([]);
    expect(cacheFiles()).toEqual([]);
    const reserved = readdirSync(join(tmp.path, 'ipam', 'ctnet')).filter(
      (f) => f !== 'lock' && !f.startsWith('last_reserved_ip'),
    );
    expect(reserved).toEqual([]);
  });
});

describe('cnitool with the Go plugins (/usr/lib/cni, v1.1.1) side by side', () => {
  const natRulesNaming = (id: string) =>
    execFileSync('ip', ['netns', 'exec', (host as TestNetNS).name, 'iptables-save', '-t', 'nat'], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter((l) => l.includes(id));
  for (const [addWith, delWith, label] of [
    [GO_CNI, distCniBin, 'Go ADD → our DEL'],
    [distCniBin, GO_CNI, 'our ADD → Go DEL'],
  ] as const) {
    it(`${label}: same network, same cache and IPAM directory; nothing left`, async () => {
      // 1.0.0: the highest version the Go plugins 1.1.1 support.
      writeList('10-ctnet.conflist', bridgeList('1.0.0'));
      const c = cont as TestNetNS;
      const capArgs = JSON.stringify({
        portMappings: [{ hostPort: 18556, containerPort: 80, protocol: 'tcp' }],
      });
      const add = await cnitool(host, ['add', 'ctnet', c.path], {
        ...env,
        CNI_PATH: addWith,
        CAP_ARGS: capArgs,
      });
      expect(add.code, add.stderr).toBe(0);
      expect(addrsOf(c, 'eth0')).toEqual([JSON.parse(add.stdout).ips[0].address]);
      expect(natRulesNaming(cid(c.path)).length).toBeGreaterThan(0);
      const del = await cnitool(host, ['del', 'ctnet', c.path], { ...env, CNI_PATH: delWith });
      expect(del.code, del.stderr).toBe(0);
      expect(linkNames(c)).toEqual([]);
      expect(linkNames(host as TestNetNS).filter((l) => l.startsWith('veth'))).toEqual([]);
      expect(natRulesNaming(cid(c.path))).toEqual([]);
      expect(cacheFiles()).toEqual([]);
      const reserved = readdirSync(join(tmp.path, 'ipam', 'ctnet')).filter(
        (f) => f !== 'lock' && !f.startsWith('last_reserved_ip'),
      );
      expect(reserved).toEqual([]);
    });
  }
});

describe('cnitool runtime arguments (noop plugin records what it got)', () => {
  let debugFile: string;
  let logFile: string;
  let noopDir: string;
  beforeEach(async () => {
    noopDir = join(tmp.path, 'plugins');
    mkdirSync(noopDir);
    await makeNoopPlugin(noopDir);
    debugFile = join(tmp.path, 'debug.json');
    logFile = join(tmp.path, 'log.json');
    env.CNI_PATH = `/nonexistent:${noopDir}`;
  });
  const noopList = (extra: Record<string, unknown> = {}) => ({
    cniVersion: '1.1.0',
    name: 'nooper',
    plugins: [
      {
        type: 'noop',
        debugFile,
        commandLog: logFile,
        capabilities: { portMappings: true, bandwidth: false },
        ...extra,
      },
    ],
  });
  const result = { cniVersion: '1.1.0', ips: [{ address: '10.1.2.3/24' }], dns: {} };

  it('container ID from the absolute netns path, --ifname, CNI_ARGS, CAP_ARGS filtered by capabilities', async () => {
    writeList('50-noop.conflist', noopList());
    writeNoopDebug(debugFile, { ReportResult: JSON.stringify(result) });
    const c = cont as TestNetNS;
    const capArgs = {
      portMappings: [{ hostPort: 1, containerPort: 2, protocol: 'udp' }],
      bandwidth: { x: 1 },
    };
    // A relative namespace path, made absolute against the working directory.
    const add = await cnitool(
      host,
      ['add', 'nooper', c.name, '--ifname', 'net7'],
      { ...env, CNI_ARGS: 'FOO=bar;K=v', CAP_ARGS: JSON.stringify(capArgs), CNI_IFNAME: 'ignored0' },
      { cwd: '/run/netns' },
    );
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toBe(JSON.stringify(JSON.parse(add.stdout), null, 4));
    expect(JSON.parse(add.stdout)).toMatchObject({ cniVersion: '1.1.0', ips: [{ address: '10.1.2.3/24' }] });
    const d: NoopDebug = readNoopDebug(debugFile);
    expect(d.Command).toBe('ADD');
    expect(d.CmdArgs).toMatchObject({
      ContainerID: cid(`/run/netns/${c.name}`),
      Netns: `/run/netns/${c.name}`,
      IfName: 'net7',
      Args: 'FOO=bar;K=v',
      Path: `/nonexistent:${noopDir}`,
    });
    const stdin = JSON.parse(d.Stdin ?? '{}');
    expect(stdin).toMatchObject({ name: 'nooper', cniVersion: '1.1.0', type: 'noop' });
    expect(stdin.runtimeConfig).toEqual({ portMappings: capArgs.portMappings });
    // The plugin object is passed as written (capabilities included), plus the injected keys.
    expect(stdin.capabilities).toEqual({ portMappings: true, bandwidth: false });
  });

  it('check and del reuse the cached CAP_ARGS/CNI_ARGS unless the variables are set (beyond the reference)', async () => {
    writeList('50-noop.conflist', noopList());
    writeNoopDebug(debugFile, { ReportResult: JSON.stringify(result) });
    const c = cont as TestNetNS;
    const pm = [{ hostPort: 5, containerPort: 6, protocol: 'tcp' }];
    const add = await cnitool(host, ['add', 'nooper', c.path], {
      ...env,
      CAP_ARGS: JSON.stringify({ portMappings: pm }),
      CNI_ARGS: 'A=1',
    });
    expect(add.code, add.stderr).toBe(0);
    const seen = () => {
      const d = readNoopDebug(debugFile);
      return { cmd: d.Command, args: d.CmdArgs?.Args, rc: JSON.parse(d.Stdin ?? '{}').runtimeConfig };
    };
    expect((await cnitool(host, ['check', 'nooper', c.path], env)).code).toBe(0);
    expect(seen()).toEqual({ cmd: 'CHECK', args: 'A=1', rc: { portMappings: pm } });
    // Set but empty: none, as the reference.
    expect(
      (await cnitool(host, ['check', 'nooper', c.path], { ...env, CAP_ARGS: '', CNI_ARGS: '' })).code,
    ).toBe(0);
    expect(seen()).toEqual({ cmd: 'CHECK', args: '', rc: undefined });
    expect((await cnitool(host, ['del', 'nooper', c.path], env)).code).toBe(0);
    expect(seen()).toEqual({ cmd: 'DEL', args: 'A=1', rc: { portMappings: pm } });
    // Nothing cached any more: a second DEL has no arguments to reuse and still succeeds.
    expect((await cnitool(host, ['del', 'nooper', c.path], env)).code).toBe(0);
    expect(seen()).toEqual({ cmd: 'DEL', args: '', rc: undefined });
  });

  it('CNI_IFNAME when there is no flag; empty CNI_IFNAME is eth0', async () => {
    writeList('50-noop.conflist', noopList());
    writeNoopDebug(debugFile, { ReportResult: JSON.stringify(result) });
    const c = cont as TestNetNS;
    expect((await cnitool(host, ['add', 'nooper', c.path], { ...env, CNI_IFNAME: 'net9' })).code).toBe(0);
    expect(readNoopDebug(debugFile).CmdArgs?.IfName).toBe('net9');
    expect((await cnitool(host, ['del', 'nooper', c.path], { ...env, CNI_IFNAME: 'net9' })).code).toBe(0);
    expect((await cnitool(host, ['add', 'nooper', c.path], { ...env, CNI_IFNAME: '' })).code).toBe(0);
    expect(readNoopDebug(debugFile).CmdArgs?.IfName).toBe('eth0');
  });

  it('gc sends DEL for the cached attachment, then GC with an empty valid-attachments list; status sends STATUS', async () => {
    writeList('50-noop.conflist', noopList());
    writeNoopDebug(debugFile, { ReportResult: JSON.stringify(result) });
    const c = cont as TestNetNS;
    expect((await cnitool(host, ['add', 'nooper', c.path], env)).code).toBe(0);
    expect((await cnitool(host, ['status', 'nooper', c.path], env)).code).toBe(0);
    const gc = await cnitool(host, ['gc', 'nooper', c.path], env);
    expect(gc.code, gc.stderr).toBe(0);
    const log = JSON.parse(readFileSync(logFile, 'utf8')) as {
      Command: string;
      CmdArgs: { StdinData: string };
    }[];
    expect(log.map((l) => l.Command)).toEqual(['ADD', 'STATUS', 'DEL', 'GC']);
    const gcConf = JSON.parse(Buffer.from(log[3]?.CmdArgs.StdinData ?? '', 'base64').toString());
    expect(gcConf['cni.dev/valid-attachments']).toEqual([]);
    expect(gcConf['cni.dev/attachments']).toEqual([]);
    expect(cacheFiles()).toEqual([]);
  });

  it('errors: on stderr, exit 1, nothing on stdout', async () => {
    writeList('50-noop.conflist', noopList());
    const c = cont as TestNetNS;
    const cases: [string[], Record<string, string>, string | RegExp][] = [
      [['add', 'nope', c.path], env, `no net configuration with name "nope" in ${netDir}`],
      [
        ['add', 'x', c.path],
        { ...env, NETCONFPATH: join(tmp.path, 'empty') },
        /^no net configurations found in /,
      ],
      [['add', 'nooper'], env, 'requires at least 2 arg(s), only received 1'],
      [['add', 'nooper', c.path], { ...env, CNI_ARGS: 'A' }, 'invalid CNI_ARGS pair "A"'],
      [['add', 'nooper', c.path], { ...env, CAP_ARGS: '[]' }, 'json: cannot unmarshal array'],
      [['plug', 'nooper', c.path], env, 'unknown command "plug" for "cnitool"'],
      [
        ['add', 'nooper', c.path],
        { ...env, CNI_PATH: '/nonexistent' },
        'failed to find plugin "noop" in path',
      ],
    ];
    for (const [args, e, want] of cases) {
      const r = await cnitool(host, args, e);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(1);
      expect(r.stdout).toBe('');
      if (typeof want === 'string') expect(r.stderr).toContain(want);
      else expect(r.stderr).toMatch(want);
    }
    // A plugin's error, wrapped as libcni does (the plugin object has no name of its own).
    writeNoopDebug(debugFile, { ReportError: 'no can do', ReportErrorCode: 7 });
    const r = await cnitool(host, ['add', 'nooper', c.path], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('plugin type="noop" failed (add): no can do');
  });

  it('--timeout kills a plugin that hangs', async () => {
    const sleeper = join(noopDir, 'sleeper');
    writeFileSync(sleeper, '#!/bin/sh\nexec sleep 60\n', { mode: 0o755 });
    writeList('60-sleep.conflist', { cniVersion: '1.1.0', name: 'sleepy', plugins: [{ type: 'sleeper' }] });
    const r = await cnitool(host, ['add', 'sleepy', (cont as TestNetNS).path, '--timeout', '1'], env, {
      timeoutMs: 30_000,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'plugin type="sleeper" failed (add): netplugin failed with no error message: signal: killed\n',
    );
  });
});

describe('cnitool validate (the built process, real plugins)', () => {
  it('a valid network by name: exit 0, summary on stdout', async () => {
    writeList('10-ctnet.conflist', bridgeList('1.0.0'));
    const r = await cnitool(undefined, ['validate', 'ctnet'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      `${join(netDir, '10-ctnet.conflist')}: network "ctnet", conflist, cniVersion 1.0.0`,
    );
    expect(r.stdout).toContain('plugins: bridge (ipam host-local), portmap');
    expect(r.stdout).toContain('capabilities: portMappings');
    expect(r.stdout).toMatch(/valid \(0 errors, 0 warnings\)\n$/);
  });

  it('JSON paths of config errors, unknown types, missing binaries, unsupported versions; --json', async () => {
    const file = join(tmp.path, 'bad.conflist');
    writeFileSync(
      file,
      JSON.stringify({
        cniVersion: '0.2.0',
        name: 'bad',
        plugins: [
          { type: 'bridge', ipam: { type: 'host-locall' } },
          { type: 'firewall' },
          { type: 'vlan' },
          { type: 'portmap', capabilities: { portMappings: 'yes' } },
        ],
      }),
    );
    const r = await cnitool(undefined, ['validate', file], { ...env, CNI_PATH: distCniBin });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n');
    expect(lines).toContain(
      '  error   $.plugins[3].capabilities.portMappings: must be a boolean, got string "yes"',
    );
    expect(lines).toContain(
      `  error   $.plugins[0].ipam.type: unknown plugin type "host-locall": not a reference plugin and not found in CNI_PATH [${distCniBin}]; did you mean "host-local"?`,
    );
    expect(lines).toContain(
      '  error   $.plugins[1].type: plugin firewall does not support config version "0.2.0" (it supports 0.4.0, 1.0.0, 1.1.0)',
    );
    if (!existsSync(join(distCniBin, 'vlan')))
      expect(lines).toContain(
        `  error   $.plugins[2].type: missing binary: plugin "vlan" not found in CNI_PATH [${distCniBin}]`,
      );
    expect(r.stderr).toMatch(/invalid \(\d+ errors, 0 warnings\)\n$/);

    const j = await cnitool(undefined, ['validate', '--json', file], env);
    expect(j.code).toBe(1);
    const report = JSON.parse(j.stdout);
    expect(report.valid).toBe(false);
    expect(report.findings.map((f: { path: string }) => f.path)).toContain(
      '$.plugins[3].capabilities.portMappings',
    );
    expect(report.plugins[0]).toMatchObject({ type: 'bridge', binary: join(distCniBin, 'bridge') });
  });

  it('a syntax error names the line and column; a relative file name', async () => {
    writeFileSync(
      join(tmp.path, 'syntax.conflist'),
      '{\n  "name": "x",\n  "plugins": [\n    {"type": "bridge",}\n  ]\n}',
    );
    const r = await cnitool(undefined, ['validate', 'syntax.conflist'], env, { cwd: tmp.path });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ {2}error {3}\$: invalid JSON at line 4, column \d+: /);
    expect(basename(r.stderr.split(':')[0] ?? '')).toBe('syntax.conflist');
  });
});
