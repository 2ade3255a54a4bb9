// Build a plugin (or any entry) from the current sources into a throwaway directory — one esbuild
// bundle, workspace packages from their src/, koffi from the workspace — so kernel tests can start
// many real processes without `pnpm build`.
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { type PluginProcessResult, runPluginProcess } from './plugin.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** @cni/* → src/index.ts of every workspace package. */
export function sourceAliases(): Record<string, string> {
  const alias: Record<string, string> = {};
  for (const base of ['packages', 'packages/plugins']) {
    for (const d of readdirSync(join(repoRoot, base), { withFileTypes: true })) {
      const pj = join(repoRoot, base, d.name, 'package.json');
      const src = join(repoRoot, base, d.name, 'src', 'index.ts');
      if (!d.isDirectory() || !existsSync(pj) || !existsSync(src)) continue;
      alias[JSON.parse(readFileSync(pj, 'utf8')).name] = src;
    }
  }
  return alias;
}

// koffi stays external (a native addon): the bundle requires it from @cni/ns's copy.
const nsPackageJson = join(repoRoot, 'packages', 'ns', 'package.json');
const koffiBanner = `import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url); globalThis.__cniTsRequire = __cr(${JSON.stringify(nsPackageJson)});`;

/** Bundle `entry` into `<new temp dir>/entry.mjs` (directory mode 0755) and return its path. */
export function bundleEntry(entry: string, prefix = 'cni-bundle-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755); // readable by unprivileged test processes
  const out = join(dir, 'entry.mjs');
  buildSync({
    entryPoints: [entry],
    alias: sourceAliases(),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: out,
    external: ['koffi'],
    logLevel: 'silent',
    banner: { js: koffiBanner },
  });
  return out;
}

export interface BuiltPlugin {
  /** An executable named `<type>` (a shell launcher) that runs the plugin. */
  bin: string;
  dir: string;
  cleanup(): void;
}

/** Bundle `packages/plugins/<type>/src/main.ts` into an executable named `<type>` in a temp dir. */
export function buildPlugin(type: string): BuiltPlugin {
  const entry = bundleEntry(
    join(repoRoot, 'packages', 'plugins', type, 'src', 'main.ts'),
    `cni-${type}-bin-`,
  );
  const dir = dirname(entry);
  const bin = join(dir, type);
  writeFileSync(bin, `#!/bin/sh\nexec "${realpathSync(process.execPath)}" "${entry}" "$@"\n`);
  chmodSync(bin, 0o755);
  return { bin, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface PluginEnv {
  command: string;
  containerID?: string;
  ifname?: string;
  netns?: string;
  args?: string;
  path?: string;
}

/** runPluginProcess with CNI_* from `e` (CNI_PATH defaults to the Go plugins in /usr/lib/cni). */
export function runPlugin(bin: string, e: PluginEnv, conf: object | string): Promise<PluginProcessResult> {
  return runPluginProcess(bin, {
    command: e.command,
    path: e.path ?? '/usr/lib/cni',
    stdin: conf,
    ...(e.containerID === undefined ? {} : { containerID: e.containerID }),
    ...(e.ifname === undefined ? {} : { ifName: e.ifname }),
    ...(e.netns === undefined ? {} : { netns: e.netns }),
    ...(e.args === undefined ? {} : { args: e.args }),
    // Timing-sensitive tests must not pay for extra CA certificates at every Node start.
    env: { NODE_EXTRA_CA_CERTS: undefined },
  });
}
