// loadKoffi in a process whose stdin is a pipe, as every CNI plugin's is. Node's JavaScript
// realpath (which require uses) reads the result of the last stat call when a path component is
// already in its cache: after a stat of the stdin pipe it stops resolving and returns the path
// with its symlinks. In a pnpm layout (packages/ns/node_modules/koffi → .pnpm/…) koffi then
// looks for its platform package beside the symlink and cannot load.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@cni-internal/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cni-koffi-load-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadKoffi', () => {
  it('loads koffi through a symlinked node_modules after a stat of a stdin pipe', () => {
    const script = join(dir, 'load.mjs');
    writeFileSync(
      script,
      `import { fstatSync } from 'node:fs';
import { createRequire } from 'node:module';
const ns = await import(${JSON.stringify(join(repoRoot, 'packages', 'ns', 'dist', 'index.js'))});
// a require of a file in the repository: its directories are now in require's realpath cache
createRequire(${JSON.stringify(join(repoRoot, 'packages', 'ns', 'package.json'))}).resolve('./package.json');
fstatSync(0); // stdin is a pipe: Node's last stat result is now a FIFO
const koffi = ns.loadKoffi();
process.stdout.write(typeof koffi.load);
`,
    );
    // no NODE_PATH (pnpm sets it for its scripts, a runtime does not): koffi must find its own way
    const r = spawnSync(process.execPath, [script], {
      input: '{}',
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin' },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('function');
  });
});
