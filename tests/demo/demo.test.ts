// The README's main command runs this demo: it must pass on a built tree and leave nothing behind.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..');

describe('the README demo (scripts/demo.mjs)', () => {
  it('adds a container to the embedded network, proves connectivity, deletes it, leaves nothing', () => {
    const r = spawnSync('node', [join(repo, 'scripts', 'demo.mjs')], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('ADD bridge');
    expect(r.stdout).toContain('container → gateway');
    expect(r.stdout).toContain('mapped to');
    expect(r.stdout).toContain('nothing left');
    expect(r.stdout).toContain('demo passed');
    // Other tests make namespaces in parallel: look only for the demo's own.
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain('cnidemo-');
  });
});
