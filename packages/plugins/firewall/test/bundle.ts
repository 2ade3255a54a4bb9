// Bundle a TypeScript entry (workspace packages from their sources) into one .mjs that plain
// Node runs, so kernel tests can start many real processes at once.
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

export function bundle(entry: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cni-fw-'));
  chmodSync(dir, 0o755); // readable by the unprivileged processes of the STATUS test
  const out = join(dir, 'entry.mjs');
  const nsPkg = join(repo, 'packages/ns/package.json');
  buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: out,
    external: ['koffi'],
    logLevel: 'silent',
    alias: {
      '@cni/ns': join(repo, 'packages/ns/src/index.ts'),
      '@cni/iptables': join(repo, 'packages/iptables/src/index.ts'),
      '@cni/plugin-firewall': join(repo, 'packages/plugins/firewall/src/index.ts'),
      '@cni/skel': join(repo, 'packages/skel/src/index.ts'),
    },
    banner: {
      js: `import { createRequire as __cr } from 'node:module'; globalThis.__cniTsRequire = __cr(${JSON.stringify(nsPkg)});`,
    },
  });
  return out;
}
