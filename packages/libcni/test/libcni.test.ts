// CNIConfig against real plugin processes (the test kit's noop plugin and small shell plugins):
// request building, environment, verb order, cached results, GC, STATUS, errors, timeouts.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { makeNoopPlugin, readNoopDebug, writeNoopDebug } from '@cni-internal/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CNIConfig,
  cniErrorOf,
  JoinedError,
  type NetworkConfigList,
  networkConfFromBytes,
  PluginError,
  RawExec,
  type RuntimeConf,
} from '../src/index.js';

let dir: string;
let bin: string;
let n = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'libcni-test-'));
  bin = join(dir, 'bin');
  await makeNoopPlugin(bin, 'noop');
  await makeNoopPlugin(bin, 'noop2');
  // A plugin that records its pid and sleeps (for timeouts and cancellation).
  script('sleeper', `echo $$ > "${dir}/sleeper.pid"\nexec sleep 60`);
  // A plugin built against an old skel: no VERSION command.
  script('oldie', `echo '{"code":4,"msg":"unknown CNI_COMMAND: VERSION"}'\nexit 1`);
  // Plugins that fail without a CNI error object.
  script('crash', `echo 'boom' >&2\nexit 3`);
  script('silent', 'exit 1');
  script('garbage', `echo 'not json'\nexit 1`);
  script('v02', `echo '{"cniVersion":"0.2.0"}'`);
  script('chatty', `echo 'note from plugin' >&2\necho '{"cniVersion":"1.0.0"}'`);
  // exists but cannot be executed
  writeFileSync(join(bin, 'noexec'), '#!/bin/sh\nexit 0\n', { mode: 0o644 });
  writeFileSync(join(bin, 'badformat'), 'not a program\n', { mode: 0o755 });
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function script(name: string, body: string): void {
  const p = join(bin, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
}

interface LogEntry {
  Command: string;
  CmdArgs: {
    ContainerID: string;
    Netns: string;
    IfName: string;
    Args: string;
    Path: string;
    StdinData: string;
  };
}

/** A fresh scenario: its own cache dir, debug files per plugin slot, a command log. */
function scenario() {
  const id = ++n;
  const base = join(dir, `s${id}`);
  const cacheDir = join(base, 'cache');
  const log = join(dir, `log-${id}.json`);
  const debug = (slot: string, d: object = {}) => {
    const f = join(dir, `debug-${id}-${slot}.json`);
    writeNoopDebug(f, d);
    return f;
  };
  const cni = new CNIConfig({ path: [join(dir, 'empty'), bin], cacheDir });
  const entries = (): LogEntry[] =>
    existsSync(log) ? (JSON.parse(readFileSync(log, 'utf8')) as LogEntry[]) : [];
  const stdins = () =>
    entries().map((e) => JSON.parse(Buffer.from(e.CmdArgs.StdinData, 'base64').toString()));
  return { id, cacheDir, log, debug, cni, entries, stdins };
}

const rtFor = (containerID = 'ctr1', ifName = 'eth0'): RuntimeConf => ({
  containerID,
  netNS: '/var/run/netns/test',
  ifName,
});

const mkList = (o: Record<string, unknown>): NetworkConfigList => networkConfFromBytes(JSON.stringify(o));

describe('ADD: request building and environment', () => {
  it('injects name and cniVersion, filters capability args by enabled capabilities', async () => {
    const s = scenario();
    const d1 = s.debug('a', { ReportResult: '{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}]}' });
    const d2 = s.debug('b', { ReportResult: 'PASSTHROUGH' });
    const d3 = s.debug('c', { ReportResult: 'PASSTHROUGH' });
    const list = mkList({
      cniVersion: '1.0.0',
      name: 'net1',
      plugins: [
        {
          type: 'noop',
          name: 'ignored',
          cniVersion: '0.1.0',
          debugFile: d1,
          commandLog: s.log,
          capabilities: { mac: true, ips: false },
        },
        { type: 'noop', debugFile: d2, commandLog: s.log, runtimeConfig: { static: 1 } },
        {
          type: 'noop2',
          debugFile: d3,
          commandLog: s.log,
          runtimeConfig: { static: 1 },
          capabilities: { portMappings: true },
        },
      ],
    });
    const rt: RuntimeConf = {
      ...rtFor(),
      args: [
        ['K8S_POD_NAME', 'p'],
        ['IgnoreUnknown', '1'],
      ],
      capabilityArgs: {
        mac: 'c2:11:22:33:44:55',
        ips: ['10.0.0.9/24'],
        portMappings: [{ hostPort: 80, containerPort: 8080, protocol: 'tcp' }],
      },
    };
    const r = await s.cni.addNetworkList(list, rt);
    expect(r).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24' }] });

    const [a, b, c] = s.stdins();
    expect(a).toEqual({
      capabilities: { ips: false, mac: true },
      cniVersion: '1.0.0',
      commandLog: s.log,
      debugFile: d1,
      name: 'net1',
      runtimeConfig: { mac: 'c2:11:22:33:44:55' },
      type: 'noop',
    });
    expect(a).not.toHaveProperty('prevResult');
    // no capability matched: the static runtimeConfig is passed unchanged
    expect(b.runtimeConfig).toEqual({ static: 1 });
    expect(b.prevResult).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24' }] });
    // a match replaces the whole runtimeConfig
    expect(c.runtimeConfig).toEqual({
      portMappings: [{ containerPort: 8080, hostPort: 80, protocol: 'tcp' }],
    });

    // the bytes are Go's: compact, keys sorted
    const raw = Buffer.from(s.entries()[0]?.CmdArgs.StdinData ?? '', 'base64').toString();
    expect(raw).toBe(
      `{"capabilities":{"ips":false,"mac":true},"cniVersion":"1.0.0","commandLog":${JSON.stringify(s.log)},"debugFile":${JSON.stringify(d1)},"name":"net1","runtimeConfig":{"mac":"c2:11:22:33:44:55"},"type":"noop"}`,
    );

    const e = s.entries()[0]?.CmdArgs;
    expect(e).toMatchObject({
      ContainerID: 'ctr1',
      Netns: '/var/run/netns/test',
      IfName: 'eth0',
      Args: 'K8S_POD_NAME=p;IgnoreUnknown=1',
      Path: `${join(dir, 'empty')}:${bin}`,
    });
    expect(s.entries().map((x) => x.Command)).toEqual(['ADD', 'ADD', 'ADD']);
  });

  it('converts the previous result to the list version', async () => {
    const s = scenario();
    const d1 = s.debug('a', {
      ReportResult:
        '{"cniVersion":"0.3.1","interfaces":[{"name":"eth0"}],"ips":[{"version":"4","address":"10.1.0.5/16","interface":0}]}',
    });
    const d2 = s.debug('b', { ReportResult: 'PASSTHROUGH' });
    const list = mkList({
      cniVersion: '1.1.0',
      name: 'conv',
      plugins: [
        { type: 'noop', debugFile: d1, commandLog: s.log },
        { type: 'noop', debugFile: d2, commandLog: s.log },
      ],
    });
    const r = await s.cni.addNetworkList(list, rtFor());
    const [, b] = s.stdins();
    expect(b.prevResult).toEqual({
      cniVersion: '1.1.0',
      interfaces: [{ name: 'eth0' }],
      ips: [{ address: '10.1.0.5/16', interface: 0 }],
    });
    expect(r.cniVersion).toBe('1.1.0');
  });

  it('a result without cniVersion takes the config version', async () => {
    const s = scenario();
    const d = s.debug('a', { ReportResult: '{"ips":[{"version":"4","address":"10.1.0.5/16"}]}' });
    const r = await s.cni.addNetworkList(
      mkList({ cniVersion: '0.4.0', name: 'nov', plugins: [{ type: 'noop', debugFile: d }] }),
      rtFor(),
    );
    expect(r).toEqual({ cniVersion: '0.4.0', ips: [{ address: '10.1.0.5/16' }] });
  });

  it('the runtime environment reaches the plugin, CNI variables win', async () => {
    const s = scenario();
    const d = s.debug('a', { ReportResult: '{}' });
    const cni = new CNIConfig({
      path: [bin],
      cacheDir: s.cacheDir,
      env: { PATH: process.env.PATH ?? '', MY_RUNTIME: 'yes', CNI_COMMAND: 'bogus' },
    });
    await cni.addNetworkList(
      mkList({ cniVersion: '1.0.0', name: 'env', plugins: [{ type: 'noop', debugFile: d }] }),
      rtFor(),
    );
    const env = readNoopDebug(d).Env ?? {};
    expect(env.MY_RUNTIME).toBe('yes');
    expect(env.CNI_COMMAND).toBe('ADD');
    expect(env.CNI_PATH).toBe(bin);
  });
});

describe('cache, CHECK, DEL', () => {
  it('writes Go cniCacheV1 (0700/0600), CHECKs and DELs (reverse) with the cached result', async () => {
    const s = scenario();
    const d1 = s.debug('a', {
      ReportResult: '{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24","gateway":"10.0.0.1"}]}',
    });
    const d2 = s.debug('b', { ReportResult: 'INJECT-DNS' });
    const list = mkList({
      cniVersion: '1.0.0',
      name: 'cached',
      plugins: [
        { type: 'noop', debugFile: d1, commandLog: s.log },
        { type: 'noop2', debugFile: d2, commandLog: s.log },
      ],
    });
    const rt: RuntimeConf = { ...rtFor(), args: [['A', 'b']], capabilityArgs: { z: 1, a: { y: 1, b: 2 } } };
    const r = await s.cni.addNetworkList(list, rt);
    expect(r.dns).toEqual({ nameservers: ['1.2.3.4'] });

    const file = join(s.cacheDir, 'results', 'cached-ctr1-eth0');
    expect(statSync(join(s.cacheDir, 'results')).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(
      `{"kind":"cniCacheV1","containerId":"ctr1","config":"${list.bytes.toString('base64')}","ifName":"eth0","networkName":"cached","netns":"/var/run/netns/test","cniArgs":[["A","b"]],"capabilityArgs":{"a":{"b":2,"y":1},"z":1},"result":{"cniVersion":"1.0.0","dns":{"nameservers":["1.2.3.4"]},"ips":[{"address":"10.0.0.2/24","gateway":"10.0.0.1"}]}}`,
    );
    expect(await s.cni.getNetworkListCachedResult(list, rt)).toEqual(r);
    const cfg = await s.cni.getNetworkListCachedConfig(list, { ...rtFor() });
    expect(cfg?.bytes.equals(list.bytes)).toBe(true);
    expect(cfg?.rt.args).toEqual([['A', 'b']]);
    expect(cfg?.rt.capabilityArgs).toEqual({ z: 1, a: { y: 1, b: 2 } });

    await s.cni.checkNetworkList(list, rt);
    await s.cni.delNetworkList(list, rt);
    const log = s.entries();
    expect(log.map((e) => e.Command)).toEqual(['ADD', 'ADD', 'CHECK', 'CHECK', 'DEL', 'DEL']);
    const stdins = s.stdins();
    const cachedJSON = {
      cniVersion: '1.0.0',
      dns: { nameservers: ['1.2.3.4'] },
      ips: [{ address: '10.0.0.2/24', gateway: '10.0.0.1' }],
    };
    for (const i of [2, 3, 4, 5]) expect(stdins[i].prevResult).toEqual(cachedJSON);
    // DEL runs the plugins in reverse
    expect(stdins[4].type).toBe('noop2');
    expect(stdins[5].type).toBe('noop');
    expect(existsSync(file)).toBe(false);
    // a second DEL succeeds without a cached result
    writeNoopDebug(d2, {});
    await s.cni.delNetworkList(list, rt);
    expect(s.stdins()[7]).not.toHaveProperty('prevResult');
  });

  it('CHECK needs 0.4.0; disableCheck skips the plugins', async () => {
    const s = scenario();
    const d = s.debug('a');
    const old = mkList({
      cniVersion: '0.3.1',
      name: 'old',
      plugins: [{ type: 'noop', debugFile: d, commandLog: s.log }],
    });
    await expect(s.cni.checkNetworkList(old, rtFor())).rejects.toThrow(
      'configuration version "0.3.1" does not support the CHECK command',
    );
    const off = mkList({
      cniVersion: '1.0.0',
      name: 'off',
      disableCheck: true,
      plugins: [{ type: 'noop', debugFile: d, commandLog: s.log }],
    });
    await s.cni.checkNetworkList(off, rtFor());
    expect(s.entries()).toEqual([]);
  });

  it('DEL before 0.4.0 sends no prevResult', async () => {
    const s = scenario();
    const d = s.debug('a', {
      ReportResult: '{"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.0.0.2/24"}]}',
    });
    const list = mkList({
      cniVersion: '0.3.1',
      name: 'old',
      plugins: [{ type: 'noop', debugFile: d, commandLog: s.log }],
    });
    await s.cni.addNetworkList(list, rtFor());
    await s.cni.delNetworkList(list, rtFor());
    expect(s.stdins()[1]).not.toHaveProperty('prevResult');
  });

  it('DEL tolerates an invalid cache: removes it and goes on without prevResult', async () => {
    const s = scenario();
    const d = s.debug('a', { ReportResult: '{"cniVersion":"1.0.0"}' });
    const list = mkList({
      cniVersion: '1.0.0',
      name: 'broken',
      plugins: [{ type: 'noop', debugFile: d, commandLog: s.log }],
    });
    await s.cni.addNetworkList(list, rtFor());
    const file = join(s.cacheDir, 'results', 'broken-ctr1-eth0');
    writeFileSync(file, '{"cniVersion":"7.7.7"}');
    await s.cni.delNetworkList(list, rtFor());
    expect(s.stdins()[1]).not.toHaveProperty('prevResult');
    expect(existsSync(file)).toBe(false);
  });

  it('a failed DEL keeps the cache and names the plugin', async () => {
    const s = scenario();
    const d = s.debug('a', { ReportResult: '{"cniVersion":"1.0.0"}' });
    const list = mkList({
      cniVersion: '1.0.0',
      name: 'keep',
      plugins: [{ type: 'noop', name: 'p1', debugFile: d }],
    });
    await s.cni.addNetworkList(list, rtFor());
    writeNoopDebug(d, { ReportError: 'no way', ReportErrorCode: 117 });
    const err = await s.cni.delNetworkList(list, rtFor()).catch((e: Error) => e);
    expect((err as Error).message).toBe('plugin type="noop" name="p1" failed (delete): no way');
    expect(cniErrorOf(err)?.code).toBe(117);
    expect(existsSync(join(s.cacheDir, 'results', 'keep-ctr1-eth0'))).toBe(true);
  });

  it('a cache that cannot be written fails the ADD', async () => {
    const s = scenario();
    const d = s.debug('a', { ReportResult: '{"cniVersion":"1.0.0"}' });
    mkdirSync(s.cacheDir, { recursive: true });
    writeFileSync(join(s.cacheDir, 'results'), 'a file, not a directory');
    const list = mkList({ cniVersion: '1.0.0', name: 'nocache', plugins: [{ type: 'noop', debugFile: d }] });
    await expect(s.cni.addNetworkList(list, rtFor())).rejects.toThrow(
      `failed to set network "nocache" cached result: mkdir ${join(s.cacheDir, 'results')}: not a directory`,
    );
  });

  it('lists cached attachments, filtered by container', async () => {
    const s = scenario();
    const d = s.debug('a', { ReportResult: '{"cniVersion":"1.0.0"}' });
    const list = mkList({ cniVersion: '1.0.0', name: 'att', plugins: [{ type: 'noop', debugFile: d }] });
    await s.cni.addNetworkList(list, rtFor('c-1', 'eth0'));
    await s.cni.addNetworkList(list, rtFor('c-1', 'eth1'));
    await s.cni.addNetworkList(list, rtFor('c-2', 'eth0'));
    writeFileSync(join(s.cacheDir, 'results', 'junk'), 'nope');
    const all = await s.cni.getCachedAttachments();
    expect(all.map((a) => `${a.networkName}/${a.containerID}/${a.ifName}`)).toEqual([
      'att/c-1/eth0',
      'att/c-1/eth1',
      'att/c-2/eth0',
    ]);
    expect(all[0]).toMatchObject({ netns: '/var/run/netns/test', cniArgs: [], capabilityArgs: {} });
    expect(all[0]?.config.equals(list.bytes)).toBe(true);
    expect((await s.cni.getCachedAttachments('c-2')).map((a) => a.ifName)).toEqual(['eth0']);
  });
});

describe('single plugin verbs', () => {
  it('addNetwork/checkNetwork/delNetwork use the plugin config name and version', async () => {
    const s = scenario();
    const d = s.debug('a', {
      ReportResult: '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.0.0.2/24"}]}',
    });
    const list = mkList({
      cniVersion: '0.4.0',
      name: 'ignored',
      plugins: [{ type: 'noop', name: 'single', cniVersion: '0.4.0', debugFile: d, commandLog: s.log }],
    });
    const net = list.plugins[0];
    if (!net) throw new Error('no plugin');
    await s.cni.addNetwork(net, rtFor());
    expect(existsSync(join(s.cacheDir, 'results', 'single-ctr1-eth0'))).toBe(true);
    await s.cni.checkNetwork(net, rtFor());
    await s.cni.delNetwork(net, rtFor());
    const st = s.stdins();
    expect(st.map((x) => x.name)).toEqual(['single', 'single', 'single']);
    expect(st[1].prevResult).toEqual({
      cniVersion: '0.4.0',
      dns: {},
      ips: [{ address: '10.0.0.2/24', version: '4' }],
    });
    expect(existsSync(join(s.cacheDir, 'results', 'single-ctr1-eth0'))).toBe(false);
  });
});

describe('errors', () => {
  const one = (type: string, extra: Record<string, unknown> = {}) =>
    mkList({ cniVersion: '1.0.0', name: 'errs', plugins: [{ type, ...extra }] });

  it('wraps a plugin error as the reference: plugin type=… failed (add): msg; details', async () => {
    const s = scenario();
    const d = s.debug('a', { ReportError: 'it broke', ReportErrorCode: 11 });
    const err = await s.cni
      .addNetworkList(one('noop', { debugFile: d, name: 'p' }), rtFor())
      .catch((e: Error) => e);
    expect((err as Error).message).toBe('plugin type="noop" name="p" failed (add): it broke');
    const cause = cniErrorOf(err);
    expect(cause).toBeInstanceOf(PluginError);
    expect(cause?.code).toBe(11);
    expect(existsSync(join(s.cacheDir, 'results', 'errs-ctr1-eth0'))).toBe(false);
  });

  it('plugins failing without an error object', async () => {
    const s = scenario();
    const msg = async (type: string) =>
      ((await s.cni.addNetworkList(one(type), rtFor()).catch((e: Error) => e)) as Error).message;
    expect(await msg('crash')).toBe(
      'plugin type="crash" failed (add): netplugin failed: "boom\\n": exit status 3',
    );
    expect(await msg('silent')).toBe(
      'plugin type="silent" failed (add): netplugin failed with no error message: exit status 1',
    );
    expect(await msg('garbage')).toBe(
      `plugin type="garbage" failed (add): netplugin failed but error parsing its diagnostic message "not json\\n": invalid character 'o' in literal null (expecting 'u')`,
    );
    expect(await msg('missing')).toBe(
      `plugin type="missing" failed (add): failed to find plugin "missing" in path [${join(dir, 'empty')} ${bin}]`,
    );
  });

  it('plugins that cannot be executed', async () => {
    const s = scenario();
    const msg = async (type: string) =>
      ((await s.cni.addNetworkList(one(type), rtFor()).catch((e: Error) => e)) as Error).message;
    expect(await msg('noexec')).toBe(
      `plugin type="noexec" failed (add): netplugin failed with no error message: fork/exec ${join(bin, 'noexec')}: permission denied`,
    );
    // Not Go's "exec format error": libuv's execvp runs a file without a #! line with /bin/sh.
    expect(await msg('badformat')).toMatch(
      /^plugin type="badformat" failed \(add\): netplugin failed: ".*": exit status 127$/,
    );
  });

  it("a successful plugin's stderr goes to the runtime's stderr", async () => {
    const s = scenario();
    const chunks: string[] = [];
    const sink = new Writable({
      write(c: Buffer, _e, cb) {
        chunks.push(c.toString());
        cb();
      },
    });
    const cni = new CNIConfig({ path: [bin], cacheDir: s.cacheDir, exec: new RawExec({ stderr: sink }) });
    const r = await cni.addNetworkList(one('chatty'), rtFor());
    expect(r).toEqual({ cniVersion: '1.0.0' });
    expect(chunks.join('')).toBe('note from plugin\n');
  });

  it('validates container ID, network name and interface name before ADD', async () => {
    const s = scenario();
    const d = s.debug('a');
    const list = one('noop', { debugFile: d, commandLog: s.log });
    const msg = async (rt: RuntimeConf, l = list) =>
      ((await s.cni.addNetworkList(l, rt).catch((e: Error) => e)) as Error).message;
    expect(await msg(rtFor(''))).toBe('plugin type="noop" failed (add): missing containerID');
    expect(await msg(rtFor('bad id'))).toBe(
      'plugin type="noop" failed (add): invalid characters in containerID; bad id',
    );
    expect(await msg(rtFor('ok', 'a-very-long-interface'))).toBe(
      'plugin type="noop" failed (add): interface name is too long; interface name should be less than 16 characters',
    );
    const badName = mkList({
      cniVersion: '1.0.0',
      name: 'bad/name',
      plugins: [{ type: 'noop', debugFile: d }],
    });
    expect(await msg(rtFor(), badName)).toBe(
      'plugin type="noop" failed (add): invalid characters found in network name; bad/name',
    );
    expect(s.entries()).toEqual([]);
  });
});

describe('GC and STATUS', () => {
  it('DELs stale cached attachments, then sends GC with the valid attachments', async () => {
    const s = scenario();
    const d = s.debug('a', { ReportResult: '{"cniVersion":"1.1.0"}' });
    const list = mkList({
      cniVersion: '1.1.0',
      name: 'gcnet',
      plugins: [{ type: 'noop', debugFile: d, commandLog: s.log }],
    });
    const other = mkList({
      cniVersion: '1.1.0',
      name: 'othernet',
      plugins: [{ type: 'noop', debugFile: d }],
    });
    await s.cni.addNetworkList(list, { ...rtFor('keep', 'eth0'), args: [['X', '1']] });
    await s.cni.addNetworkList(list, {
      ...rtFor('stale', 'eth0'),
      args: [['X', '2']],
      capabilityArgs: { mac: 'm' },
    });
    await s.cni.addNetworkList(other, rtFor('stale', 'eth0'));
    writeFileSync(s.log, '[]');

    await s.cni.gcNetworkList(list, { validAttachments: [{ containerID: 'keep', ifName: 'eth0' }] });
    const log = s.entries();
    expect(log.map((e) => e.Command)).toEqual(['DEL', 'GC']);
    // the stale attachment is DELed with its cached netns, CNI_ARGS and prevResult
    expect(log[0]?.CmdArgs).toMatchObject({
      ContainerID: 'stale',
      IfName: 'eth0',
      Args: 'X=2',
      Netns: '/var/run/netns/test',
    });
    const [del, gc] = s.stdins();
    expect(del.prevResult).toEqual({ cniVersion: '1.1.0' });
    // GC: no attachment variables, both keys
    expect(log[1]?.CmdArgs).toMatchObject({ ContainerID: '', IfName: '', Netns: '', Args: '' });
    expect(gc['cni.dev/valid-attachments']).toEqual([{ containerID: 'keep', ifname: 'eth0' }]);
    expect(gc['cni.dev/attachments']).toEqual([{ containerID: 'keep', ifname: 'eth0' }]);
    expect(gc.name).toBe('gcnet');
    const left = (await s.cni.getCachedAttachments()).map((a) => `${a.networkName}/${a.containerID}`);
    expect(left).toEqual(['gcnet/keep', 'othernet/stale']);
  });

  it('without args every cached attachment of the network is stale and GC has no attachment key', async () => {
    const s = scenario();
    const d = s.debug('a', { ReportResult: '{"cniVersion":"1.1.0"}' });
    const list = mkList({
      cniVersion: '1.1.0',
      name: 'gc2',
      plugins: [{ type: 'noop', debugFile: d, commandLog: s.log }],
    });
    await s.cni.addNetworkList(list, rtFor('a'));
    await s.cni.addNetworkList(list, rtFor('b'));
    writeFileSync(s.log, '[]');
    await s.cni.gcNetworkList(list);
    expect(s.entries().map((e) => `${e.Command}:${e.CmdArgs.ContainerID}`)).toEqual([
      'DEL:a',
      'DEL:b',
      'GC:',
    ]);
    const gc = s.stdins()[2];
    expect(gc).not.toHaveProperty('cni.dev/valid-attachments');
    expect(gc).not.toHaveProperty('cni.dev/attachments');
    expect(await s.cni.getCachedAttachments()).toEqual([]);
  });

  it('before 1.1.0 only the DELs run; disableGC does nothing', async () => {
    const s = scenario();
    const d = s.debug('a', { ReportResult: '{"cniVersion":"1.0.0"}' });
    const list = mkList({
      cniVersion: '1.0.0',
      name: 'gc3',
      plugins: [{ type: 'noop', debugFile: d, commandLog: s.log }],
    });
    await s.cni.addNetworkList(list, rtFor('a'));
    writeFileSync(s.log, '[]');
    await s.cni.gcNetworkList({ ...list, disableGC: true }, { validAttachments: [] });
    expect(s.entries()).toEqual([]);
    await s.cni.gcNetworkList(list, { validAttachments: [] });
    expect(s.entries().map((e) => e.Command)).toEqual(['DEL']);
  });

  it('collects every error', async () => {
    const s = scenario();
    const d = s.debug('a', { ReportResult: '{"cniVersion":"1.1.0"}' });
    const list = mkList({
      cniVersion: '1.1.0',
      name: 'gc4',
      plugins: [{ type: 'noop', debugFile: d }, { type: 'silent' }],
    });
    // cache an attachment by hand (ADD would fail on "silent")
    const ok = mkList({ cniVersion: '1.1.0', name: 'gc4', plugins: [{ type: 'noop', debugFile: d }] });
    await s.cni.addNetworkList(ok, rtFor('x'));
    const err = await s.cni.gcNetworkList(list, { validAttachments: [] }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(JoinedError);
    expect((err as Error).message).toBe(
      [
        'failed to delete stale attachment x eth0: plugin type="silent" failed (delete): netplugin failed with no error message: exit status 1',
        'failed to GC plugin silent: netplugin failed with no error message: exit status 1',
      ].join('\n'),
    );
  });

  it('STATUS: each plugin from 1.1.0, first error unwrapped; older lists succeed at once', async () => {
    const s = scenario();
    const d = s.debug('a');
    const list = mkList({
      cniVersion: '1.1.0',
      name: 'st',
      plugins: [
        { type: 'noop', debugFile: d, commandLog: s.log },
        { type: 'noop2', debugFile: d, commandLog: s.log },
      ],
    });
    await s.cni.getStatusNetworkList(list);
    expect(s.entries().map((e) => e.Command)).toEqual(['STATUS', 'STATUS']);
    expect(s.stdins()[0]).toMatchObject({ name: 'st', cniVersion: '1.1.0' });
    writeNoopDebug(d, { ReportError: 'not ready', ReportErrorCode: 50 });
    const err = await s.cni.getStatusNetworkList(list).catch((e: Error) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).code).toBe(50);
    expect((err as Error).message).toBe('not ready');
    await s.cni.getStatusNetworkList({ ...list, cniVersion: '1.0.0' });
  });
});

describe('versions and validation', () => {
  it('getVersionInfo: the VERSION answer, old plugins, 0.2.0 answers', async () => {
    const s = scenario();
    const noop = await s.cni.getVersionInfo('noop');
    expect(noop.cniVersion).toBe('1.1.0');
    expect(noop.supportedVersions).toContain('0.4.0');
    expect(await s.cni.getVersionInfo('oldie')).toEqual({
      cniVersion: '1.1.0',
      supportedVersions: ['0.1.0'],
    });
    expect(await s.cni.getVersionInfo('v02')).toEqual({
      cniVersion: '1.1.0',
      supportedVersions: ['0.1.0', '0.2.0'],
    });
    await expect(s.cni.getVersionInfo('garbage')).rejects.toThrow('netplugin failed but error parsing');
  });

  it('validateNetworkList: capabilities, missing binaries and unsupported versions', async () => {
    const s = scenario();
    const list = mkList({
      cniVersion: '1.0.0',
      name: 'v',
      plugins: [
        { type: 'noop', capabilities: { portMappings: true, mac: false } },
        { type: 'noop2', capabilities: { ips: true, portMappings: true } },
      ],
    });
    expect(await s.cni.validateNetworkList(list)).toEqual(['portMappings', 'ips']);
    const bad = mkList({ cniVersion: '1.0.0', name: 'v', plugins: [{ type: 'oldie' }, { type: 'nope' }] });
    await expect(s.cni.validateNetworkList(bad)).rejects.toThrow(
      `[plugin oldie does not support config version "1.0.0" failed to find plugin "nope" in path [${join(dir, 'empty')} ${bin}]]`,
    );
  });
});

describe('timeouts and cancellation', () => {
  const pidGone = (pid: number) => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  };

  it('a per-call timeout kills the plugin', async () => {
    const s = scenario();
    const pidFile = join(dir, 'sleeper.pid');
    rmSync(pidFile, { force: true });
    const list = mkList({ cniVersion: '1.0.0', name: 'slow', plugins: [{ type: 'sleeper' }] });
    const err = await s.cni.addNetworkList(list, rtFor(), { timeoutMs: 1000 }).catch((e: Error) => e);
    expect((err as Error).message).toBe(
      'plugin type="sleeper" failed (add): netplugin failed with no error message: signal: killed',
    );
    expect((cniErrorOf(err)?.cause as Error | undefined)?.name).toBe('TimeoutError');
    // (on a very slow machine the shell may not have written its pid before the kill)
    if (existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '') {
      expect(pidGone(Number(readFileSync(pidFile, 'utf8')))).toBe(true);
    }
  });

  it('the constructor timeout applies to every call', async () => {
    const s = scenario();
    const cni = new CNIConfig({ path: [bin], cacheDir: s.cacheDir, timeoutMs: 300 });
    const list = mkList({ cniVersion: '1.1.0', name: 'slow', plugins: [{ type: 'sleeper' }] });
    await expect(cni.getStatusNetworkList(list)).rejects.toThrow('signal: killed');
  });

  it('an AbortSignal cancels: before the call and while the plugin runs', async () => {
    const s = scenario();
    const list = mkList({ cniVersion: '1.0.0', name: 'slow', plugins: [{ type: 'sleeper' }] });
    const pre = new AbortController();
    pre.abort();
    await expect(s.cni.delNetworkList(list, rtFor(), { signal: pre.signal })).rejects.toThrow(
      'plugin type="sleeper" failed (delete): netplugin failed with no error message: context canceled',
    );
    const pidFile = join(dir, 'sleeper.pid');
    rmSync(pidFile, { force: true });
    const ac = new AbortController();
    const p = s.cni.addNetworkList(list, rtFor(), { signal: ac.signal }).catch((e: Error) => e);
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8') === '')
      await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    const err = (await p) as Error;
    expect(err.message).toBe(
      'plugin type="sleeper" failed (add): netplugin failed with no error message: signal: killed',
    );
    expect(pidGone(Number(readFileSync(pidFile, 'utf8')))).toBe(true);
  });
});

describe('a custom PluginExec', () => {
  it('receives the file, the request, the environment; may resolve plugins itself', async () => {
    const calls: { file: string; stdin: string; env: NodeJS.ProcessEnv }[] = [];
    const cni = new CNIConfig({
      path: ['/nowhere'],
      cacheDir: join(dir, 'fake-cache'),
      env: { ONLY: 'this' },
      exec: {
        findInPath: (type, paths) => `${paths[0]}/fake-${type}`,
        execPlugin: async (file, stdin, env) => {
          calls.push({ file, stdin: stdin.toString(), env });
          return Buffer.from('{"cniVersion":"1.0.0","ips":[{"address":"10.9.9.9/24"}]}');
        },
      },
    });
    const list = mkList({ cniVersion: '1.0.0', name: 'fake', plugins: [{ type: 'x' }] });
    const r = await cni.addNetworkList(list, rtFor());
    expect(r.ips).toEqual([{ address: '10.9.9.9/24' }]);
    expect(calls).toEqual([
      {
        file: '/nowhere/fake-x',
        stdin: '{"cniVersion":"1.0.0","name":"fake","type":"x"}',
        env: {
          ONLY: 'this',
          CNI_COMMAND: 'ADD',
          CNI_CONTAINERID: 'ctr1',
          CNI_NETNS: '/var/run/netns/test',
          CNI_ARGS: '',
          CNI_IFNAME: 'eth0',
          CNI_PATH: '/nowhere',
        },
      },
    ]);
  });
});

describe('concurrency', () => {
  it('parallel ADDs and DELs of different containers keep one cache file each', async () => {
    const s = scenario();
    const list = mkList({ cniVersion: '1.0.0', name: 'par', plugins: [{ type: 'noop' }] });
    const ids = Array.from({ length: 8 }, (_, i) => `par-${i}`);
    // one debug file per container (CNI_ARGS DEBUG=…): the noop rewrites its file on every call
    const rt = (id: string): RuntimeConf => ({
      ...rtFor(id),
      args: [
        ['DEBUG', s.debug(id, { ReportResult: '{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}]}' })],
      ],
    });
    const rts = ids.map(rt);
    await Promise.all(rts.map((r) => s.cni.addNetworkList(list, r)));
    expect((await s.cni.getCachedAttachments()).map((a) => a.containerID).sort()).toEqual([...ids].sort());
    await Promise.all(rts.map((r) => s.cni.delNetworkList(list, r)));
    expect(await s.cni.getCachedAttachments()).toEqual([]);
  });

  it('validateNetwork: one plugin config, its own version', async () => {
    const s = scenario();
    const list = mkList({
      cniVersion: '1.0.0',
      name: 'vn',
      plugins: [{ type: 'oldie', cniVersion: '0.1.0', capabilities: { mac: true } }],
    });
    const net = list.plugins[0];
    if (!net) throw new Error('no plugin');
    expect(await s.cni.validateNetwork(net)).toEqual(['mac']);
    const v2 = mkList({ cniVersion: '1.0.0', name: 'vn', plugins: [{ type: 'oldie', cniVersion: '0.4.0' }] });
    await expect(s.cni.validateNetwork(v2.plugins[0] as (typeof v2.plugins)[number])).rejects.toThrow(
      'plugin oldie does not support config version "0.4.0"',
    );
  });
});
