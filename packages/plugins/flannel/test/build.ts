// Build this plugin from its sources into a throwaway CNI_PATH directory: one esbuild bundle
// and a /bin/sh launcher named `flannel` (no marker, so delegates run it as a process).
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../../../..');
export const distCniBin = join(repoRoot, 'dist', 'cni', 'bin');

export interface CniPathDir {
  /** the directory to use as CNI_PATH */
  dir: string;
  /** our flannel executable in it */
  flannel: string;
  cleanup(): void;
}

/**
 * A CNI_PATH directory holding our flannel (built from src/main.ts) and symlinks to
 * `delegates` (absolute paths of other plugins, e.g. Debian's Go bridge and host-local).
 */
export async function makeCniPath(delegates: readonly string[]): Promise<CniPathDir> {
  const root = mkdtempSync(join(tmpdir(), 'cni-flannel-bin-'));
  const dir = join(root, 'bin');
  const lib = join(root, 'lib');
  mkdirSync(dir);
  await build({
    entryPoints: { flannel: join(repoRoot, 'packages/plugins/flannel/src/main.ts') },
    alias: { '@cni/skel': join(repoRoot, 'packages/skel/src/index.ts') },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: lib,
    outExtension: { '.js': '.mjs' },
    logLevel: 'error',
  });
  const flannel = join(dir, 'flannel');
  writeFileSync(flannel, `#!/bin/sh\nexec "${process.execPath}" "${join(lib, 'flannel.mjs')}" "$@"\n`);
  chmodSync(flannel, 0o755);
  for (const d of delegates) symlinkSync(d, join(dir, d.split('/').pop() as string));
  return { dir, flannel, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
