// One build shape for every @cni/* package: ESM, Node 20, types, no bundling of
// workspace or registry dependencies (they are real dependencies of the package).
import { existsSync } from 'node:fs';
import { defineConfig } from 'tsup';

/**
 * @param {{ entry?: Record<string,string> | string[], bin?: Record<string,string> }} [opts]
 *   entry: library entry points (default src/index.ts);
 *   bin: executables, name -> source file; each gets a node shebang.
 */
export function cniPackage(opts = {}) {
  const entry = opts.entry ?? { index: 'src/index.ts' };
  const configs = [
    {
      entry,
      format: ['esm'],
      target: 'node20',
      platform: 'node',
      dts: true,
      clean: true,
      sourcemap: false,
      splitting: false,
      treeshake: true,
      outDir: 'dist',
    },
  ];
  // A plugin package whose bin source does not exist yet still builds its library part.
  const bin = opts.bin && Object.fromEntries(Object.entries(opts.bin).filter(([, f]) => existsSync(f)));
  if (bin && Object.keys(bin).length > 0) {
    configs.push({
      entry: bin,
      format: ['esm'],
      target: 'node20',
      platform: 'node',
      dts: false,
      clean: false,
      sourcemap: false,
      splitting: false,
      outDir: 'dist/bin',
      banner: { js: '#!/usr/bin/env node' },
    });
  }
  return defineConfig(configs);
}
