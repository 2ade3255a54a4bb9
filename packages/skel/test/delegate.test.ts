// Delegation: exec'd and in-process delegates give the same results and errors (DESIGN §5),
// with the Go invoke error wrapping; the noop test plugin from the test kit is the delegate.
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  makeNoopPlugin,
  type NoopDebug,
  noopPlugin,
  readNoopDebug,
  writeNoopDebug,
} from '@cni-internal/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CniError,
  delegateAdd,
  delegateCheck,
  delegateDel,
  delegateGC,
  delegateStatus,
  registerInProcessPlugin,
} from '../src/index.js';

let dir: string;
let n = 0;
const saved = { ...process.env };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skel-deleg-'));
  const noop = await makeNoopPlugin(dir);
  // the same launcher without our marker: always exec'd
  writeFileSync(join(dir, 'foreign'), readFileSync(noop, 'utf8').replace('# // cni-ts-plugin: noop\n', ''));
  chmodSync(join(dir, 'foreign'), 0o755);
  // a plain script delegate
  writeFileSync(
    join(dir, 'script'),
    '#!/bin/sh\ncat >/dev/null\necho "$CNI_COMMAND" >&2\nprintf \'{"ips":[{"version":"4","address":"10.7.0.2/16"}]}\'\n',
  );
  chmodSync(join(dir, 'script'), 0o755);
  copyFileSync(join(dir, 'script'), join(dir, 'not-executable'));
  chmodSync(join(dir, 'not-executable'), 0o644);
  registerInProcessPlugin('noop', async () => noopPlugin(process.env));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  process.env = { ...saved };
  vi.restoreAllMocks();
});

function setup(mode: 'exec' | 'in-process', debug: NoopDebug, confExtra: Record<string, unknown> = {}) {
  const debugFile = join(dir, `debug-${++n}.json`);
  writeNoopDebug(debugFile, debug);
  process.env.CNI_PATH = `/nonexistent:${dir}`;
  process.env.CNI_CONTAINERID = 'ctr1';
  process.env.CNI_NETNS = '/run/netns/none';
  process.env.CNI_IFNAME = 'eth0';
  process.env.CNI_ARGS = '';
  process.env.CNI_COMMAND = 'ADD';
  if (mode === 'exec') process.env.CNI_TS_NO_INPROCESS = '1';
  else delete process.env.CNI_TS_NO_INPROCESS;
  const conf = JSON.stringify({ cniVersion: '1.0.0', name: 'net', type: 'noop', debugFile, ...confExtra });
  return { debugFile, conf };
}

async function errorOf(p: Promise<unknown>): Promise<CniError> {
  try {
    await p;
  } catch (e) {
    if (CniError.is(e)) return e;
    throw e;
  }
  throw new Error('expected a CniError');
}

const modes = ['exec', 'in-process'] as const;

describe.each(modes)('delegation (%s)', (mode) => {
  it('ADD: parses the result; runs in process only when asked', async () => {
    const { debugFile, conf } = setup(mode, {
      ReportResult: JSON.stringify({
        cniVersion: '0.4.0',
        ips: [{ version: '4', address: '10.1.0.9/24', gateway: '10.1.0.1' }],
      }),
    });
    const r = await delegateAdd('noop', conf);
    expect(r).toEqual({ cniVersion: '0.4.0', ips: [{ address: '10.1.0.9/24', gateway: '10.1.0.1' }] });
    const d = readNoopDebug(debugFile);
    expect(d.Command).toBe('ADD');
    expect(d.CmdArgs).toMatchObject({
      ContainerID: 'ctr1',
      IfName: 'eth0',
      Netns: '/run/netns/none',
      Path: `/nonexistent:${dir}`,
    });
    expect(d.Stdin).toBe(conf);
    expect(d.Env?.CNI_COMMAND).toBe('ADD');
    if (mode === 'in-process') expect(d.Pid).toBe(process.pid);
    else expect(d.Pid).not.toBe(process.pid);
  });

  it('ADD: a result without cniVersion takes the config version; null is an empty result', async () => {
    let { conf } = setup(mode, { ReportResult: '{"ips":[{"address":"10.1.0.9/24"}]}' });
    expect(await delegateAdd('noop', conf)).toEqual({
      cniVersion: '1.0.0',
      ips: [{ address: '10.1.0.9/24' }],
    });
    ({ conf } = setup(mode, { ReportResult: 'null' }));
    expect(await delegateAdd('noop', conf)).toEqual({ cniVersion: '1.0.0' });
  });

  it('the other verbs override only CNI_COMMAND', async () => {
    const verbs: [string, (t: string, s: string) => Promise<void>][] = [
      ['DEL', delegateDel],
      ['CHECK', delegateCheck],
      ['STATUS', delegateStatus],
      ['GC', delegateGC],
    ];
    for (const [cmd, fn] of verbs) {
      const { debugFile } = setup(mode, {});
      const conf = JSON.stringify({ cniVersion: '1.1.0', name: 'net', type: 'noop', debugFile });
      await fn('noop', conf);
      const d = readNoopDebug(debugFile);
      expect(d.Command).toBe(cmd);
      expect(d.Env?.CNI_COMMAND).toBe(cmd);
      expect(d.CmdArgs?.ContainerID).toBe('ctr1');
    }
  });

  it('a JSON error reply is rethrown as that CniError', async () => {
    const { conf } = setup(mode, { ReportError: 'no more addresses', ReportErrorCode: 11 });
    const e = await errorOf(delegateAdd('noop', conf));
    expect(e.toJSON()).toEqual({ code: 11, msg: 'no more addresses' });
    const { conf: c2 } = setup(mode, { ReportError: 'boom' });
    expect((await errorOf(delegateDel('noop', c2))).toJSON()).toEqual({ code: 999, msg: 'boom' });
  });

  it("the delegate's own checks fail the same way (version mismatch)", async () => {
    const { conf } = setup(mode, {}, { cniVersion: '0.9.0' });
    const e = await errorOf(delegateAdd('noop', conf));
    expect(e.code).toBe(1);
    expect(e.msg).toBe('incompatible CNI versions');
  });

  it('failure without output: "netplugin failed with no error message"', async () => {
    const { conf } = setup(mode, { ExitWithCode: 3 });
    const e = await errorOf(delegateDel('noop', conf));
    expect(e.toJSON()).toEqual({ code: 0, msg: 'netplugin failed with no error message: exit status 3' });
  });

  it('failure with only stderr: "netplugin failed: <stderr>"', async () => {
    const { conf } = setup(mode, { ExitWithCode: 2, ReportStderr: 'it broke\n' });
    const e = await errorOf(delegateDel('noop', conf));
    expect(e.msg).toBe('netplugin failed: "it broke\\n": exit status 2');
  });

  it('failure with non-JSON stdout: "error parsing its diagnostic message"', async () => {
    const { conf } = setup(mode, { ExitWithCode: 1, ReportResult: 'garbage' });
    const e = await errorOf(delegateDel('noop', conf));
    expect(e.msg).toMatch(/^netplugin failed but error parsing its diagnostic message "garbage": /);
  });

  it("a delegate's stderr is forwarded on success", async () => {
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const { conf } = setup(mode, { ReportStderr: 'note from noop\n' });
    await delegateDel('noop', conf);
    expect(spy.mock.calls.map((c) => String(c[0])).join('')).toContain('note from noop\n');
  });
});

describe('delegation: choosing exec or in-process', () => {
  it('gives the same result both ways', async () => {
    const report = {
      ReportResult: JSON.stringify({
        cniVersion: '1.0.0',
        interfaces: [{ name: 'x' }],
        ips: [{ address: 'fd00::2/64', interface: 0 }],
      }),
    };
    const a = setup('exec', report);
    const viaExec = await delegateAdd('noop', a.conf);
    const b = setup('in-process', report);
    const inProc = await delegateAdd('noop', b.conf);
    expect(inProc).toEqual(viaExec);
    const [da, db] = [readNoopDebug(a.debugFile), readNoopDebug(b.debugFile)];
    expect(db.CmdArgs).toEqual({ ...da.CmdArgs, StdinData: db.CmdArgs?.StdinData });
  });

  it("a file without our marker is exec'd even with a loader registered", async () => {
    const { debugFile, conf } = setup('in-process', { ReportResult: '{}' });
    registerInProcessPlugin('foreign', async () => noopPlugin(process.env));
    await delegateAdd('foreign', conf);
    expect(readNoopDebug(debugFile).Pid).not.toBe(process.pid);
  });

  it("a marked file without a registered loader is exec'd", async () => {
    const { conf } = setup('in-process', {});
    process.env.CNI_PATH = dir;
    writeFileSync(
      join(dir, 'other'),
      readFileSync(join(dir, 'noop'), 'utf8').replace('cni-ts-plugin: noop', 'cni-ts-plugin: other'),
    );
    chmodSync(join(dir, 'other'), 0o755);
    const debugFile = JSON.parse(conf).debugFile as string;
    await delegateDel('other', conf);
    expect(readNoopDebug(debugFile).Pid).not.toBe(process.pid);
  });

  it('a loader that fails falls back to exec', async () => {
    const { debugFile, conf } = setup('in-process', { ReportResult: '{}' });
    process.env.CNI_PATH = dir;
    writeFileSync(
      join(dir, 'broken'),
      readFileSync(join(dir, 'noop'), 'utf8').replace('cni-ts-plugin: noop', 'cni-ts-plugin: broken'),
    );
    chmodSync(join(dir, 'broken'), 0o755);
    registerInProcessPlugin('broken', async () => {
      throw new Error('chunk missing');
    });
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await delegateAdd('broken', conf);
    expect(readNoopDebug(debugFile).Pid).not.toBe(process.pid);
    expect(spy.mock.calls.map((c) => String(c[0])).join('')).toContain(
      'running broken in process failed (chunk missing)',
    );
  });

  it("any other executable is exec'd with the same environment", async () => {
    const { conf } = setup('in-process', {});
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await delegateAdd('script', conf)).toEqual({
      cniVersion: '1.0.0',
      ips: [{ address: '10.7.0.2/16' }],
    });
    expect(spy.mock.calls.map((c) => String(c[0])).join('')).toContain('ADD\n');
  });

  it('lookup failures and exec failures are CniErrors', async () => {
    const { conf } = setup('exec', {});
    const missing = await errorOf(delegateAdd('absent', conf));
    expect(missing.msg).toBe(`failed to find plugin "absent" in path [/nonexistent ${dir}]`);
    process.env.CNI_PATH = '';
    expect((await errorOf(delegateAdd('noop', conf))).msg).toBe('no paths provided');
    process.env.CNI_PATH = dir;
    const denied = await errorOf(delegateAdd('not-executable', conf));
    expect(denied.msg).toBe(
      `netplugin failed with no error message: fork/exec ${join(dir, 'not-executable')}: permission denied`,
    );
  });
});
