import { kernelProject, unitProject } from '@cni-internal/vitest-config';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { projects: [unitProject(import.meta.dirname), kernelProject(import.meta.dirname)] },
});
