// The README's main command (`pnpm demo` = build + `cnitool demo`): it must pass on a built tree,
// show each step, and leave nothing behind. scripts/demo.mjs is a wrapper kept for old notes.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..');
const cnitool = join(repo, 'packages', 'cnitool', 'dist', 'bin', 'main.js');

function expectDemoPassed(r: { status: number | null; stdout: string; stderr: string }): void {
  expect(r.status, r.stdout + r.stderr).toBe(0);
  for (const line of [
    'plugins from ',
    'validate: ',
    'namespaces: ',
    'cnitool add cnitool-demo',
    'cnitool check',
    'cnitool status',
    'container → gateway',
    'mapped to',
    'cnitool del',
    'cnitool gc',
    'nothing left',
    'demo passed',
  ]) {
    expect(r.stdout).toContain(line);
  }
  // Every step line carries its time since the start.
  expect(r.stdout).toMatch(/^\[ +\d+\.\d\d s\] cnitool add /m);
  // Other tests make namespaces in parallel: look only for the demo's own.
  expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain('cnidemo-');
}

describe('the README demo (cnitool demo)', () => {
  it('pnpm demo runs the built cnitool demo', () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
    expect(pkg.scripts.demo).toContain('packages/cnitool/dist/bin/main.js demo');
  });

  it('adds a container to the embedded network, proves connectivity, deletes it, leaves nothing', () => {
    const r = spawnSync(process.execPath, [cnitool, 'demo'], { encoding: 'utf8', timeout: 180_000 });
    expectDemoPassed(r);
  });

  it('scripts/demo.mjs is a thin wrapper over it', () => {
    const r = spawnSync(process.execPath, [join(repo, 'scripts', 'demo.mjs')], {
      encoding: 'utf8',
      timeout: 180_000,
    });
    expectDemoPassed(r);
  });
});
