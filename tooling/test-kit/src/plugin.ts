// Run a CNI plugin as a real process (env + stdin → stdout, stderr, exit code), and make the
// noop test plugin available as an executable in a CNI_PATH directory.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root (this file is tooling/test-kit/src/plugin.ts). */
export const repoRoot = resolve(here, '..', '..', '..');
/** Where `pnpm build` leaves one executable per plugin type. */
export const distCniBin = join(repoRoot, 'dist', 'cni', 'bin');

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'STATUS' | 'GC' | 'VERSION' | (string & {});

export interface RunPluginOptions {
  /** CNI_COMMAND ('' to leave it empty) */
  command: CniCommand;
  /** CNI_CONTAINERID (default `cnitest-container`; '' leaves it empty) */
  containerID?: string;
  /** CNI_NETNS (default '') */
  netns?: string;
  /** CNI_IFNAME (default `eth0`) */
  ifName?: string;
  /** CNI_PATH (default the repo's dist/cni/bin) */
  path?: string;
  /** CNI_ARGS (default '') */
  args?: string;
  /** extra environment, applied last; `undefined` removes a variable */
  env?: Record<string, string | undefined>;
  /** the config: an object is JSON-encoded, a string is sent as is */
  stdin: object | string;
  /** kill the plugin after this many ms (default 30 000) */
  timeoutMs?: number;
}

export interface PluginProcessResult {
  /** exit code (128 + signal number when killed by a signal) */
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, or undefined when empty or not JSON */
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary plugin output
  json: any;
}

const SIGNALS: Record<string, number> = { SIGKILL: 9, SIGTERM: 15, SIGSEGV: 11, SIGABRT: 6, SIGINT: 2 };

/**
 * Run `file` as a CNI plugin: `node <file>` for .js/.mjs/.cjs, the file itself otherwise.
 * The environment is this process's minus any CNI_* variable, plus all six CNI_* variables
 * (always set, possibly empty, as the Go runtime does), plus `opts.env`.
 */
export function runPluginProcess(file: string, opts: RunPluginOptions): Promise<PluginProcessResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('CNI_')) env[k] = v;
  }
  env.CNI_COMMAND = opts.command;
  env.CNI_CONTAINERID = opts.containerID ?? 'cnitest-container';
  env.CNI_NETNS = opts.netns ?? '';
  env.CNI_ARGS = opts.args ?? '';
  env.CNI_IFNAME = opts.ifName ?? 'eth0';
  env.CNI_PATH = opts.path ?? distCniBin;
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const input = typeof opts.stdin === 'string' ? opts.stdin : JSON.stringify(opts.stdin);
  const isScript = /\.(c|m)?js$/.test(file);
  const [cmd, argv] = isScript ? [process.execPath, [file]] : [file, []];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, argv, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => {
      // the plugin may exit before reading stdin
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString();
      let json: unknown;
      try {
        json = stdout.trim() === '' ? undefined : (JSON.parse(stdout) as unknown);
      } catch {
        json = undefined;
      }
      resolvePromise({
        code: code ?? 128 + (signal ? (SIGNALS[signal] ?? 0) : 0),
        stdout,
        stderr: Buffer.concat(err).toString(),
        json,
      });
    });
    child.stdin.end(input);
  });
}

/** The noop plugin's entry (TypeScript; bundled by makeNoopPlugin). */
export const noopEntry = join(here, 'noop', 'main.ts');

/**
 * Build the noop test plugin into `dir` and return the path of its executable `dir/<name>`:
 * a /bin/sh launcher carrying our `// cni-ts-plugin: noop` marker (so @cni/skel may run it in
 * process when a loader is registered) that runs the bundled `dir/.cni-noop/noop.mjs` with the
 * current Node.
 */
export async function makeNoopPlugin(dir: string, name = 'noop'): Promise<string> {
  const { build } = await import('esbuild');
  const lib = join(dir, '.cni-noop');
  mkdirSync(lib, { recursive: true });
  const bundle = join(lib, 'noop.mjs');
  await build({
    entryPoints: [noopEntry],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile: bundle,
    logLevel: 'warning',
  });
  const exe = join(dir, name);
  writeFileSync(
    exe,
    `#!/bin/sh\n# // cni-ts-plugin: noop\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(bundle)} "$@"\n`,
  );
  chmodSync(exe, 0o755);
  return exe;
}
