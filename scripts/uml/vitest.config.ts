// Vitest config for the User-Mode Linux lane (scripts/uml/run.sh). Loaded INSIDE the UML guest:
// one project "uml", every *.uml.test.ts of the repository (or the files run.sh was given, through
// CNI_UML_INCLUDE), one file at a time in one forked worker — Node is slow in UML.
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { kernelProject } from '@cni-internal/vitest-config';
import { defineConfig } from 'vitest/config';

const root = resolve(import.meta.dirname, '..', '..');

export const DEFAULT_INCLUDE = [
  '{packages,packages/plugins,tooling}/*/{src,test}/**/*.uml.test.ts',
  'tests/**/*.uml.test.ts',
  'scripts/uml/*.uml.test.ts',
];

function include(): string[] {
  const raw = process.env['CNI_UML_INCLUDE'];
  if (!raw) return DEFAULT_INCLUDE;
  const list: unknown = JSON.parse(raw);
  if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'string')) {
    throw new Error(`CNI_UML_INCLUDE must be a non-empty JSON array of globs, got ${raw}`);
  }
  return list;
}

const kernel = kernelProject(root);
// Generous: Node is several times slower in UML. run.sh passes --testTimeout to change it.
const timeout = 300_000;

export default defineConfig({
  // Vite/vitest caches go to the guest's private /tmp, never into the host's node_modules.
  cacheDir: join(tmpdir(), 'cni-uml-vite'),
  resolve: kernel.resolve,
  test: {
    ...kernel.test,
    name: 'uml',
    root,
    include: include(),
    exclude: ['**/node_modules/**', '**/dist/**'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: timeout,
    hookTimeout: timeout,
    teardownTimeout: timeout,
  },
});
