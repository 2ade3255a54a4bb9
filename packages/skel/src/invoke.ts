// Delegation (cni-reference §1.6, §2.5): find a plugin in CNI_PATH and run it with this
// process's environment, CNI_COMMAND overridden, and the given stdin. A delegate that is one of
// our own launchers, with a loader registered for its type, runs in this process (DESIGN §5).
import { createRequire } from 'node:module';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { delimiter, join, sep } from 'node:path';
import { CniError, ErrCode } from './errors.js';
import { parseResult } from './result.js';
import type { Command, PluginDef, RunOutput } from './skel.js';
import { runPlugin } from './skel.js';
import type { Result } from './types.js';

// node:child_process (with net, dgram, streams) is loaded only when a plugin is exec'd: an
// in-process delegate or a plugin that execs nothing never pays for it.
const lazyRequire = createRequire(import.meta.url);
const childProcess = () => lazyRequire('node:child_process') as typeof import('node:child_process');

const loaders = new Map<string, () => Promise<PluginDef>>();

/** Let delegation run plugin `type` in this process when CNI_PATH resolves it to our launcher. */
export function registerInProcessPlugin(type: string, load: () => Promise<PluginDef>): void {
  loaders.set(type, load);
}

/** Executable extensions tried in each directory, in order. */
const EXTENSIONS = process.platform === 'win32' ? ['.exe', ''] : [''];

/**
 * Go's invoke.FindInPath: the first regular file `<dir>/<type><ext>` over `paths` in order.
 * Errors (CniError 999, the Go messages): empty name, a name with a path separator, no paths,
 * not found.
 */
export function findInPath(type: string, paths: string[]): string {
  if (type === '') throw new CniError(ErrCode.Internal, 'no plugin name provided');
  if (type.includes(sep)) throw new CniError(ErrCode.Internal, `invalid plugin name: ${type}`);
  if (paths.length === 0) throw new CniError(ErrCode.Internal, 'no paths provided');
  for (const dir of paths) {
    for (const ext of EXTENSIONS) {
      const full = join(dir, type) + ext;
      try {
        if (statSync(full).isFile()) return full;
      } catch {
        // not there: keep looking
      }
    }
  }
  throw new CniError(
    ErrCode.Internal,
    `failed to find plugin ${JSON.stringify(type)} in path [${paths.join(' ')}]`,
  );
}

/** Go's filepath.SplitList: '' gives no entries; empty entries are kept. */
export function splitPathList(list: string): string[] {
  return list === '' ? [] : list.split(delimiter);
}

const MARKER = /\/\/ cni-ts-plugin: ([A-Za-z0-9_.+-]+)/;

/** The plugin type named by our launcher marker in the first 512 bytes of `file`, if any. */
export function ownPluginType(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(512);
    const n = readSync(fd, buf, 0, 512, 0);
    return MARKER.exec(buf.subarray(0, n).toString('latin1'))?.[1];
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

interface ExecOutput {
  stdout: Buffer;
  stderr: Buffer;
  /** Go's exec error text when the plugin failed ("exit status 1", "fork/exec …"), else undefined */
  failure?: string;
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  ENOEXEC: 'exec format error',
  ETXTBSY: 'text file busy',
  ENOTDIR: 'not a directory',
};

function spawnOnce(
  file: string,
  env: NodeJS.ProcessEnv,
  stdin: Buffer,
): Promise<ExecOutput & { errno?: string }> {
  return new Promise((resolve) => {
    const shell = process.platform === 'win32' && /\.(cmd|bat)$/i.test(file);
    const child = childProcess().spawn(file, [], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      shell,
      windowsHide: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let spawnError: NodeJS.ErrnoException | undefined;
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e;
    });
    child.stdin.on('error', () => {
      // the plugin may exit without reading stdin
    });
    child.stdin.end(stdin);
    child.on('close', (code, signal) => {
      const res: ExecOutput & { errno?: string } = { stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
      if (spawnError) {
        const code = spawnError.code ?? '';
        res.errno = code;
        res.failure = `fork/exec ${file}: ${ERRNO_TEXT[code] ?? spawnError.message}`;
      } else if (signal) res.failure = `signal: ${signalName(signal)}`;
      else if (code !== 0) res.failure = `exit status ${code}`;
      resolve(res);
    });
  });
}

function signalName(s: NodeJS.Signals): string {
  const names: Record<string, string> = {
    SIGKILL: 'killed',
    SIGTERM: 'terminated',
    SIGSEGV: 'segmentation fault',
  };
  return names[s] ?? s;
}

/** Exec a plugin file: "text file busy" is retried up to 5 more times, 1 s apart (as Go). */
export async function execPluginFile(
  file: string,
  env: NodeJS.ProcessEnv,
  stdin: Buffer,
): Promise<ExecOutput> {
  for (let attempt = 0; ; attempt++) {
    const res = await spawnOnce(file, env, stdin);
    if (res.errno === 'ETXTBSY' && attempt < 5) {
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    const { errno: _ignored, ...rest } = res;
    return rest;
  }
}

/** invoke's pluginErr: a failed plugin's output as a CniError. */
function pluginError(failure: string, stdout: Buffer, stderr: Buffer): CniError {
  if (stdout.length === 0) {
    if (stderr.length === 0) return new CniError(0, `netplugin failed with no error message: ${failure}`);
    return new CniError(0, `netplugin failed: ${JSON.stringify(stderr.toString())}: ${failure}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout.toString());
  } catch (e) {
    return new CniError(
      0,
      `netplugin failed but error parsing its diagnostic message ${JSON.stringify(stdout.toString())}: ${(e as Error).message}`,
    );
  }
  const o = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const code = typeof o.code === 'number' ? o.code : 0;
  const msg = typeof o.msg === 'string' ? o.msg : '';
  const details = typeof o.details === 'string' ? o.details : undefined;
  return new CniError(code, msg, details);
}

/** Run delegate `type` for `command` and return its stdout; failures throw CniError. */
export async function delegate(command: Command, type: string, stdin: Buffer | string): Promise<Buffer> {
  const input = typeof stdin === 'string' ? Buffer.from(stdin) : stdin;
  const file = findInPath(type, splitPathList(process.env.CNI_PATH ?? ''));
  const env = { ...process.env, CNI_COMMAND: command };
  const own = process.env.CNI_TS_NO_INPROCESS === '1' ? undefined : ownPluginType(file);
  const load = own === undefined ? undefined : loaders.get(own);
  let def: PluginDef | undefined;
  if (load) {
    try {
      def = await load();
    } catch (e) {
      // The bundle could not load that plugin in process: the launcher can still run it.
      process.stderr.write(
        `cni-ts: running ${type} in process failed (${(e as Error).message}); executing ${file}\n`,
      );
    }
  }
  let res: ExecOutput;
  if (def) {
    const out: RunOutput = await runPlugin(def, env, input);
    res = { stdout: Buffer.from(out.stdout), stderr: Buffer.from(out.stderr) };
    if (out.exitCode !== 0) res.failure = `exit status ${out.exitCode}`;
  } else {
    res = await execPluginFile(file, env, input);
  }
  if (res.failure !== undefined) throw pluginError(res.failure, res.stdout, res.stderr);
  if (res.stderr.length > 0) process.stderr.write(res.stderr);
  return res.stdout;
}

function confVersion(stdin: Buffer | string): string {
  try {
    const conf = JSON.parse(typeof stdin === 'string' ? stdin : stdin.toString()) as Record<string, unknown>;
    const v = conf && typeof conf === 'object' ? conf.cniVersion : undefined;
    return typeof v === 'string' && v !== '' ? v : '0.1.0';
  } catch {
    return '0.1.0';
  }
}

/** Delegate ADD; the result is parsed (a version-less one takes the config's version). */
export async function delegateAdd(type: string, stdin: Buffer | string): Promise<Result> {
  const out = await delegate('ADD', type, stdin);
  return parseResult(out.toString().trim() === 'null' ? '{}' : out, confVersion(stdin));
}

export async function delegateCheck(type: string, stdin: Buffer | string): Promise<void> {
  await delegate('CHECK', type, stdin);
}

export async function delegateDel(type: string, stdin: Buffer | string): Promise<void> {
  await delegate('DEL', type, stdin);
}

export async function delegateStatus(type: string, stdin: Buffer | string): Promise<void> {
  await delegate('STATUS', type, stdin);
}

export async function delegateGC(type: string, stdin: Buffer | string): Promise<void> {
  await delegate('GC', type, stdin);
}
