import { kernelProject, unitProject } from '@cni-internal/vitest-config';
import { defineConfig } from 'vitest/config';

// *.uml.test.ts need the User-Mode Linux lane (scripts/uml/run.sh packages/plugins/<type>).
const kernel = kernelProject(import.meta.dirname);
kernel.test.exclude = ['**/node_modules/**', '**/*.uml.test.ts'];

export default defineConfig({
  test: { projects: [unitProject(import.meta.dirname), kernel] },
});
