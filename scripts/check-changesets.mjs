#!/usr/bin/env node
// Fails when a published package's code changed without a pending changeset that names it.
//   node scripts/check-changesets.mjs [--since REF]
// "Changed" is measured since REF, by default the last release: the newest commit that changed a
// CHANGELOG.md (what `changeset version` writes), or the repository's first commit.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './lib/plugins.mjs';

const git = (...a) => execFileSync('git', a, { cwd: repoRoot, encoding: 'utf8' }).trim();
const i = process.argv.indexOf('--since');
let since = i > 0 ? process.argv[i + 1] : '';
if (!since) {
  since =
    git('log', '-1', '--format=%H', '--', 'packages/**/CHANGELOG.md', 'packages/*/CHANGELOG.md') ||
    git('rev-list', '--max-parents=0', 'HEAD').split('\n').pop();
}

const packages = [];
for (const base of ['packages', 'packages/plugins']) {
  for (const d of readdirSync(join(repoRoot, base), { withFileTypes: true })) {
    const pj = join(repoRoot, base, d.name, 'package.json');
    if (!d.isDirectory() || !existsSync(pj)) continue;
    const pkg = JSON.parse(readFileSync(pj, 'utf8'));
    if (!pkg.private) packages.push({ name: pkg.name, dir: `${base}/${d.name}` });
  }
}

// Pending changesets and the packages they name.
const named = new Set();
const csDir = join(repoRoot, '.changeset');
for (const f of readdirSync(csDir)) {
  if (!f.endsWith('.md') || f === 'README.md') continue;
  const front = readFileSync(join(csDir, f), 'utf8').split('---')[1] ?? '';
  for (const m of front.matchAll(/["']?(@cni\/[a-z0-9-]+)["']?\s*:/g)) named.add(m[1]);
}

// Committed changes since the base plus uncommitted ones in the work tree.
const changed = new Set(
  [
    git('diff', '--name-only', since, '--'),
    git('diff', '--name-only', 'HEAD', '--'),
    git('ls-files', '--others', '--exclude-standard'),
  ]
    .join('\n')
    .split('\n')
    .filter(Boolean),
);
const missing = [];
for (const p of packages) {
  const touched = [...changed].some(
    (f) => f.startsWith(`${p.dir}/`) && /\/(src|bin)\//.test(f.slice(p.dir.length)) && !/\.test\.ts$/.test(f),
  );
  if (touched && !named.has(p.name)) missing.push(p.name);
}
if (missing.length) {
  console.error(`packages changed since ${since.slice(0, 12)} without a changeset: ${missing.join(', ')}`);
  console.error('add one with `pnpm changeset` (see .changeset/README.md)');
  process.exit(1);
}
console.log(`changesets: every changed package has one (since ${since.slice(0, 12)})`);
