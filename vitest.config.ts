import { defineConfig } from 'vitest/config';
import { kernelProject, unitProject } from '@cni-internal/vitest-config';

// The whole repository as two projects: unit tests (src/**/*.test.ts) and kernel
// tests (test/**/*.test.ts, root, throwaway namespaces). Each package also has its own
// vitest.config.ts with the same two projects rooted at the package.
const unit = unitProject(import.meta.dirname);
const kernel = kernelProject(import.meta.dirname);
unit.test.include = ['{packages,packages/plugins,tooling}/*/src/**/*.test.ts'];
kernel.test.include = ['{packages,packages/plugins,tooling}/*/test/**/*.test.ts', 'tests/**/*.test.ts'];

export default defineConfig({
  test: {
    projects: [unit, kernel],
  },
});
