// Changesets in a throwaway clone: `changeset version` bumps the named packages and their
// dependents independently, and the CI check refuses a package changed without a changeset.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..');
let clone: string;
const git = (...a: string[]) => execFileSync('git', a, { cwd: clone, encoding: 'utf8' });
const version = (dir: string) =>
  JSON.parse(readFileSync(join(clone, dir, 'package.json'), 'utf8')).version as string;

beforeAll(() => {
  clone = mkdtempSync(join(tmpdir(), 'cni-changesets-'));
  execFileSync('git', ['clone', '-q', repo, clone]);
  symlinkSync(join(repo, 'node_modules'), join(clone, 'node_modules'));
  git('config', 'user.email', 'ci@example.invalid');
  git('config', 'user.name', 'ci');
});
afterAll(() => {
  if (clone) rmSync(clone, { recursive: true, force: true });
});

describe('changesets', () => {
  it('version bumps the named package and, at patch, the packages that depend on it', () => {
    // Start from no pending changesets, as after a release.
    for (const f of git('ls-files', '.changeset').split('\n')) {
      if (f.endsWith('.md') && !f.endsWith('README.md')) rmSync(join(clone, f));
    }
    writeFileSync(
      join(clone, '.changeset', 'skel-fix.md'),
      '---\n"@cni/skel": minor\n---\n\nA test change.\n',
    );
    const beforeSkel = version('packages/skel');
    const beforeHostLocal = version('packages/plugins/host-local');
    const beforeNs = version('packages/ns');
    const r = spawnSync(join(repo, 'node_modules', '.bin', 'changeset'), ['version'], {
      cwd: clone,
      encoding: 'utf8',
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const bump = (v: string, i: number) =>
      v
        .split('.')
        .map((n, j) => (j === i ? Number(n) + 1 : j > i ? 0 : Number(n)))
        .join('.');
    expect(version('packages/skel')).toBe(bump(beforeSkel, 1));
    expect(version('packages/plugins/host-local')).toBe(bump(beforeHostLocal, 2)); // depends on @cni/skel
    expect(version('packages/ns')).toBe(beforeNs); // independent versions: untouched
    expect(readFileSync(join(clone, 'packages', 'skel', 'CHANGELOG.md'), 'utf8')).toContain('A test change.');
  });

  it('the CI check fails for a package changed without a changeset and names it', () => {
    git('checkout', '-q', '--', '.');
    git('clean', '-qfd', 'packages', '.changeset');
    const base = git('rev-parse', 'HEAD').trim();
    for (const f of git('ls-files', '.changeset').split('\n')) {
      if (f.endsWith('.md') && !f.endsWith('README.md')) rmSync(join(clone, f));
    }
    writeFileSync(join(clone, 'packages', 'ns', 'src', 'extra.ts'), 'export const x = 1;\n');
    const bad = spawnSync('node', ['scripts/check-changesets.mjs', '--since', base], {
      cwd: clone,
      encoding: 'utf8',
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('@cni/ns');
    writeFileSync(join(clone, '.changeset', 'ns-extra.md'), '---\n"@cni/ns": patch\n---\n\nExtra.\n');
    const good = spawnSync('node', ['scripts/check-changesets.mjs', '--since', base], {
      cwd: clone,
      encoding: 'utf8',
    });
    expect(good.status, good.stderr).toBe(0);
  });
});
