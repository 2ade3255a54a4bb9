import { kernelProject, unitProject } from '@cni-internal/vitest-config';
import { defineConfig } from 'vitest/config';

// vrf's kernel tests need the vrf driver: they are *.uml.test.ts and run in the User-Mode Linux
// lane (scripts/uml/run.sh packages/plugins/vrf), not on this kernel.
const kernel = kernelProject(import.meta.dirname);
kernel.test = { ...kernel.test, exclude: ['**/node_modules/**', '**/*.uml.test.ts'] };

export default defineConfig({
  test: { projects: [unitProject(import.meta.dirname), kernel] },
});
