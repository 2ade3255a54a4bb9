// win-bridge as a real process (env + stdin → stdout, exit code): the bin bundled from
// src/main.ts. Off Windows every verb that needs HNS must answer with a CNI error, not a crash.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..', '..', '..');
let dir: string;
let bin: string;

beforeAll(async () => {
  // esbuild comes with tsup (the build tool); workspace packages resolve to their sources
  const tsup = createRequire(join(root, 'tooling', 'tsup-config', 'index.js')).resolve('tsup');
  const esbuild = createRequire(tsup)('esbuild') as typeof import('esbuild');
  dir = mkdtempSync(join(tmpdir(), 'win-bridge-bin-'));
  bin = join(dir, 'main.mjs');
  await esbuild.build({
    entryPoints: [resolve(import.meta.dirname, '..', 'src', 'main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: bin,
    external: ['koffi'],
    logLevel: 'silent',
    plugins: [
      {
        name: 'workspace-sources',
        setup(b) {
          b.onResolve({ filter: /^@cni\/(hns|skel)$/ }, (a) => ({
            path: join(root, 'packages', a.path.slice('@cni/'.length), 'src', 'index.ts'),
          }));
        },
      },
    ],
  });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function run(env: Record<string, string>, stdin: string) {
  const r = spawnSync(process.execPath, [bin], {
    env: { PATH: process.env.PATH ?? '', ...env },
    input: stdin,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const env = {
  CNI_CONTAINERID: 'abc123',
  CNI_NETNS: '5a3b2c1d-0000-4000-8000-000000000001',
  CNI_IFNAME: 'eth0',
  CNI_PATH: '/x',
};
const conf = JSON.stringify({ cniVersion: '1.0.0', name: 'cbr0', type: 'win-bridge', apiVersion: 2 });

describe('win-bridge process', () => {
  it('VERSION', () => {
    const r = run({ CNI_COMMAND: 'VERSION' }, '');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      cniVersion: '1.1.0',
      supportedVersions: ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'],
    });
  });

  it('ADD and DEL off Windows: a CNI error naming the missing DLLs, exit 1, no stack', () => {
    for (const cmd of ['ADD', 'DEL']) {
      const r = run({ ...env, CNI_COMMAND: cmd }, conf);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout)).toEqual({
        code: 999,
        msg: `the Windows HNS/HCN API (computenetwork.dll, vmcompute.dll) is not available on ${process.platform}`,
      });
      expect(r.stdout + r.stderr).not.toMatch(/\bat .*\.(m?js|ts):\d+/);
    }
  });

  it('bad config: code 6 naming the key', () => {
    const r = run({ ...env, CNI_COMMAND: 'ADD' }, conf.replace('"apiVersion":2', '"apiVersion":"2"'));
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      code: 6,
      msg: 'failed to load netconf: key "apiVersion" must be an integer, got string "2"',
    });
  });

  it('STATUS without IPAM succeeds (nothing to ask)', () => {
    const r = run({ CNI_COMMAND: 'STATUS', CNI_PATH: '/x' }, conf.replace('1.0.0', '1.1.0'));
    expect(r).toMatchObject({ code: 0, stdout: '' });
  });
});
