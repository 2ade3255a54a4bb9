// Build this plugin from the current sources into a throwaway directory (one esbuild
// bundle; koffi from the workspace) and run it as a real process.
import { spawn, spawnSync } from 'node:child_process';
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

export interface PluginRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Parsed stdout (result or error object), when it is JSON. */
  json: Record<string, unknown> | undefined;
}

export interface PluginEnv {
  command: string;
  containerID?: string;
  ifname?: string;
  netns?: string;
  args?: string;
  path?: string;
}

function envFor(e: PluginEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    CNI_COMMAND: e.command,
    CNI_PATH: e.path ?? '/usr/lib/cni',
  };
  if (e.containerID !== undefined) env.CNI_CONTAINERID = e.containerID;
  if (e.ifname !== undefined) env.CNI_IFNAME = e.ifname;
  if (e.netns !== undefined) env.CNI_NETNS = e.netns;
  if (e.args !== undefined) env.CNI_ARGS = e.args;
  return env;
}

function parse(stdout: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(stdout) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Run a plugin binary synchronously with CNI_* env and the config on stdin. */
export function runPlugin(bin: string, e: PluginEnv, conf: unknown): PluginRun {
  const r = spawnSync(bin, [], {
    input: typeof conf === 'string' ? conf : JSON.stringify(conf),
    env: envFor(e),
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json: parse(r.stdout) };
}

/** Start a plugin process without waiting (for concurrency tests). */
export function startPlugin(bin: string, e: PluginEnv, conf: unknown): Promise<PluginRun> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(bin, [], { env: envFor(e), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code, stdout, stderr, json: parse(stdout) }));
    child.stdin.end(typeof conf === 'string' ? conf : JSON.stringify(conf));
  });
}
