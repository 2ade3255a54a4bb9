// The noop test plugin as a process: version lists, recorded calls, verbatim and pass-through
// results, errors, exit codes (the reference noop's behaviour).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNoopPlugin, runPluginProcess } from '../plugin.js';
import { NOOP_DEFAULT_VERSIONS, readNoopDebug, writeNoopDebug } from './noop.js';

let dir: string;
let exe: string;
let n = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'noop-'));
  exe = await makeNoopPlugin(dir);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const debugFile = (d: object) => {
  const f = join(dir, `debug-${++n}.json`);
  writeNoopDebug(f, d);
  return f;
};
const conf = (o: Record<string, unknown> = {}) => ({ cniVersion: '1.0.0', name: 'net', type: 'noop', ...o });

describe('noop test plugin', () => {
  it('is an executable carrying our launcher marker', () => {
    expect(readFileSync(exe, 'utf8')).toContain('# // cni-ts-plugin: noop\n');
  });

  it('VERSION: every spec version plus a bogus one by default', async () => {
    const r = await runPluginProcess(exe, { command: 'VERSION', stdin: '' });
    expect(r.json).toEqual({ cniVersion: '1.1.0', supportedVersions: NOOP_DEFAULT_VERSIONS });
  });

  it('VERSION: ReportVersionSupport from the debug file named in CNI_ARGS', async () => {
    const f = debugFile({ ReportVersionSupport: ['0.3.1', '0.4.0'] });
    const r = await runPluginProcess(exe, { command: 'VERSION', args: `DEBUG=${f}`, stdin: '' });
    expect(r.json.supportedVersions).toEqual(['0.3.1', '0.4.0']);
  });

  it('without a debug file: prints {} and says so on stderr', async () => {
    const r = await runPluginProcess(exe, { command: 'ADD', netns: '/run/netns/x', stdin: conf() });
    expect(r).toMatchObject({
      code: 0,
      stdout: '{}',
      stderr: 'CNI_ARGS or config empty, no debug behavior\n',
    });
  });

  it('records the command, CNI args, env and stdin; prints ReportResult verbatim', async () => {
    const f = debugFile({ ReportResult: '{"cniVersion":"0.4.0","ips":[]}' });
    const stdin = JSON.stringify(conf({ debugFile: f }));
    const r = await runPluginProcess(exe, {
      command: 'ADD',
      netns: '/run/netns/x',
      args: 'A=b',
      stdin,
      env: { EXTRA: '1' },
    });
    expect(r).toMatchObject({ code: 0, stdout: '{"cniVersion":"0.4.0","ips":[]}' });
    const d = readNoopDebug(f);
    expect(d.Command).toBe('ADD');
    expect(d.CmdArgs).toEqual({
      ContainerID: 'cnitest-container',
      Netns: '/run/netns/x',
      IfName: 'eth0',
      Args: 'A=b',
      Path: expect.any(String),
      NetnsOverride: '',
      StdinData: Buffer.from(stdin).toString('base64'),
    });
    expect(d.Env?.EXTRA).toBe('1');
    expect(d.Stdin).toBe(stdin);
  });

  it('DEBUG in CNI_ARGS wins over debugFile; commandLog collects every call', async () => {
    const f = debugFile({});
    const other = debugFile({});
    const log = join(dir, `log-${n}.json`);
    writeFileSync(log, '');
    for (const command of ['ADD', 'CHECK', 'DEL']) {
      const r = await runPluginProcess(exe, {
        command,
        netns: '/run/netns/x',
        args: `DEBUG=${f}`,
        stdin: conf({ debugFile: other, commandLog: log }),
      });
      expect(r.code).toBe(0);
    }
    expect(readNoopDebug(f).Command).toBe('DEL');
    expect(readNoopDebug(other).Command).toBeUndefined();
    const entries = JSON.parse(readFileSync(log, 'utf8')) as { Command: string }[];
    expect(entries.map((e) => e.Command)).toEqual(['ADD', 'CHECK', 'DEL']);
  });

  it('PASSTHROUGH prints the prevResult in the config version; INJECT-DNS adds 1.2.3.4', async () => {
    const prevResult = { cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24' }] };
    const f = debugFile({ ReportResult: 'PASSTHROUGH' });
    const r = await runPluginProcess(exe, {
      command: 'ADD',
      netns: '/run/netns/x',
      stdin: conf({ cniVersion: '0.4.0', debugFile: f, prevResult }),
    });
    expect(r.json).toEqual({ cniVersion: '0.4.0', ips: [{ version: '4', address: '10.0.0.2/24' }], dns: {} });
    const g = debugFile({ ReportResult: 'INJECT-DNS' });
    const s = await runPluginProcess(exe, {
      command: 'ADD',
      netns: '/run/netns/x',
      stdin: conf({ debugFile: g, prevResult }),
    });
    expect(s.json).toEqual({
      cniVersion: '1.0.0',
      ips: [{ address: '10.0.0.2/24' }],
      dns: { nameservers: ['1.2.3.4'] },
    });
  });

  it('ReportError (code defaults to 999), ReportStderr and ExitWithCode', async () => {
    const f = debugFile({ ReportError: 'bad thing', ReportErrorCode: 7, ReportStderr: 'stderr text' });
    const r = await runPluginProcess(exe, { command: 'DEL', stdin: conf({ debugFile: f }) });
    expect(r).toMatchObject({ code: 1, json: { code: 7, msg: 'bad thing' }, stderr: 'stderr text' });
    const g = debugFile({ ReportError: 'oops' });
    expect((await runPluginProcess(exe, { command: 'DEL', stdin: conf({ debugFile: g }) })).json).toEqual({
      code: 999,
      msg: 'oops',
    });
    const h = debugFile({ ReportResult: '{}', ExitWithCode: 5 });
    expect(await runPluginProcess(exe, { command: 'DEL', stdin: conf({ debugFile: h }) })).toMatchObject({
      code: 5,
      stdout: '{}',
    });
  });

  it('GC and STATUS (1.1.0 configs) are recorded too', async () => {
    for (const command of ['GC', 'STATUS']) {
      const f = debugFile({});
      const r = await runPluginProcess(exe, {
        command,
        containerID: '',
        ifName: '',
        stdin: conf({ cniVersion: '1.1.0', debugFile: f }),
      });
      expect(r.code).toBe(0);
      expect(readNoopDebug(f).Command).toBe(command);
    }
  });

  it('a version outside its list is refused by skel', async () => {
    const f = debugFile({ ReportVersionSupport: ['0.4.0'] });
    const r = await runPluginProcess(exe, {
      command: 'DEL',
      args: `DEBUG=${f}`,
      stdin: conf({ cniVersion: '1.0.0' }),
    });
    expect(r.json).toEqual({
      code: 1,
      msg: 'incompatible CNI versions',
      details: 'config is "1.0.0", plugin supports ["0.4.0"]',
    });
  });
});
