// Shared vitest presets. Tests import workspace packages from their sources
// (src/index.ts), so a contributor can test one package without building the rest.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Map every workspace package name to its src/index.ts (and subpath exports to src files). */
export function workspaceAliases() {
  const aliases = [];
  const dirs = [];
  for (const base of ['packages', 'packages/plugins', 'tooling']) {
    const abs = join(repoRoot, base);
    if (!existsSync(abs)) continue;
    for (const d of readdirSync(abs, { withFileTypes: true })) {
      if (d.isDirectory()) dirs.push(join(abs, d.name));
    }
  }
  for (const dir of dirs) {
    const pj = join(dir, 'package.json');
    if (!existsSync(pj)) continue;
    const { name, cniSource } = JSON.parse(readFileSync(pj, 'utf8'));
    if (!name) continue;
    // cniSource: { ".": "src/index.ts", "./sub": "src/sub.ts" } (optional override)
    const map = cniSource ?? { '.': 'src/index.ts' };
    for (const [sub, file] of Object.entries(map)) {
      const target = join(dir, file);
      if (!existsSync(target)) continue;
      const spec = sub === '.' ? name : `${name}/${sub.replace(/^\.\//, '')}`;
      aliases.push({
        find: new RegExp(`^${spec.replace(/[/.*+?^${}()|[\]\\-]/g, '\\$&')}$`),
        replacement: target,
      });
    }
  }
  return aliases;
}

/** Unit tests: src/**\/*.test.ts — pure logic, run anywhere. */
export const unitProject = (root) => ({
  resolve: { alias: workspaceAliases() },
  test: {
    name: 'unit',
    root,
    include: ['src/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
  },
});

/**
 * Kernel tests: test/**\/*.test.ts — need root; each test makes its own namespaces.
 * *.uml.test.ts are left out: they need kernel features this machine lacks and run in the
 * User-Mode Linux lane (scripts/uml/run.sh, which sets its own include/exclude).
 */
export const kernelProject = (root) => ({
  resolve: { alias: workspaceAliases() },
  test: {
    name: 'kernel',
    root,
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/*.uml.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
