// Build this plugin from the current sources into a throwaway directory (one esbuild
// bundle; koffi from the workspace) and run it as a real process with the test kit.
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
import { type PluginProcessResult, runPluginProcess } from '@cni-internal/test-kit';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../../../..');

/** @cni/* → src/index.ts of every workspace package. */
function sourceAliases(): Record<string, string> {
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

export interface BuiltPlugin {
  /** Executable (a shell launcher) that runs the plugin. */
  bin: string;
  dir: string;
  cleanup(): void;
}

/** Bundle `packages/plugins/<type>/src/main.ts` into an executable named `<type>`. */
export async function buildPlugin(type: string): Promise<BuiltPlugin> {
  const dir = mkdtempSync(join(tmpdir(), `cni-${type}-bin-`));
  const lib = join(dir, 'lib');
  await build({
    entryPoints: { [type]: join(repoRoot, 'packages', 'plugins', type, 'src', 'main.ts') },
    alias: sourceAliases(),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: lib,
    outExtension: { '.js': '.mjs' },
    external: ['koffi'],
    logLevel: 'error',
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  });
  // koffi stays external (native addon): found through NODE_PATH in the real directory of
  // @cni/ns's copy, where its platform package sits beside it.
  const koffiRoot = dirname(realpathSync(join(repoRoot, 'packages', 'ns', 'node_modules', 'koffi')));
  const bin = join(dir, type);
  writeFileSync(
    bin,
    `#!/bin/sh\nNODE_PATH="${koffiRoot}" exec "${process.execPath}" "${join(lib, `${type}.mjs`)}" "$@"\n`,
  );
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

export type PluginRun = PluginProcessResult;

/** Run a plugin process (test kit's runPluginProcess) with CNI_* env and the config on stdin. */
export function runPlugin(bin: string, e: PluginEnv, conf: object | string): Promise<PluginRun> {
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

/** The same, named for the places that start many at once. */
export const startPlugin = runPlugin;
