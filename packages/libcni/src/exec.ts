// Plugin execution (cni-reference §2.5): the runtime's environment plus the CNI variables,
// stdin = the request, stdout/stderr captured; a failed plugin becomes a PluginError with Go's
// texts; an AbortSignal (timeout or cancellation) kills the plugin with SIGKILL.
import { type ChildProcess, spawn } from 'node:child_process';
import { delimiter } from 'node:path';
import { CURRENT_VERSION, findInPath as skelFindInPath } from '@cni/skel';
import { PluginError } from './errors.js';
import { jsonKind, parseGoJSON } from './json.js';

/** Runs a plugin file; replace it to run plugins elsewhere (Go's invoke.Exec). */
export interface PluginExec {
  /** Run `file` with `env` and `stdin`; resolve to its stdout; reject with a PluginError. */
  execPlugin(file: string, stdin: Buffer, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<Buffer>;
  /** Find plugin `type` in `paths` (default: findInPath, the first regular file). */
  findInPath?(type: string, paths: string[]): string;
}

export interface RawExecOptions {
  /**
   * Where a successful plugin's stderr is copied (default process.stderr; null drops it).
   */
  stderr?: NodeJS.WritableStream | null;
  /**
   * Called with the function that forks the plugin; the fork happens synchronously inside it.
   * E.g. `(fork) => ns.run(fork)` runs plugins with another network namespace as their own.
   */
  forkIn?: <T>(fork: () => T) => T;
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  ENOEXEC: 'exec format error',
  ETXTBSY: 'text file busy',
  ENOTDIR: 'not a directory',
};

const SIGNAL_TEXT: Record<string, string> = {
  SIGKILL: 'killed',
  SIGTERM: 'terminated',
  SIGSEGV: 'segmentation fault',
  SIGABRT: 'aborted',
  SIGINT: 'interrupt',
  SIGHUP: 'hangup',
  SIGPIPE: 'broken pipe',
  SIGBUS: 'bus error',
  SIGILL: 'illegal instruction',
  SIGFPE: 'floating point exception',
};

/** Go's context error text for an abort reason. */
function abortText(signal: AbortSignal): string {
  const r = signal.reason as { name?: string } | undefined;
  return r?.name === 'TimeoutError' ? 'context deadline exceeded' : 'context canceled';
}

interface Outcome {
  stdout: Buffer;
  stderr: Buffer;
  /** Go's exec error text ("exit status 1", "signal: killed", "fork/exec …") */
  failure?: string;
  errno?: string;
}

/** Go's invoke pluginErr: a failed plugin's output as a PluginError. */
export function pluginErr(failure: string, stdout: Buffer, stderr: Buffer, cause?: unknown): PluginError {
  const opts = cause === undefined ? undefined : { cause };
  if (stdout.length === 0) {
    if (stderr.length === 0)
      return new PluginError(0, `netplugin failed with no error message: ${failure}`, undefined, opts);
    return new PluginError(
      0,
      `netplugin failed: ${JSON.stringify(stderr.toString())}: ${failure}`,
      undefined,
      opts,
    );
  }
  let parsed: unknown;
  try {
    parsed = parseGoJSON(stdout);
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
      throw new Error(`json: cannot unmarshal ${jsonKind(parsed)} into Go value of type types.Error`);
    }
  } catch (e) {
    return new PluginError(
      0,
      `netplugin failed but error parsing its diagnostic message ${JSON.stringify(stdout.toString())}: ${(e as Error).message}`,
      undefined,
      opts,
    );
  }
  const o = (parsed ?? {}) as Record<string, unknown>;
  const code = typeof o.code === 'number' ? o.code : 0;
  const msg = typeof o.msg === 'string' ? o.msg : '';
  const details = typeof o.details === 'string' && o.details !== '' ? o.details : undefined;
  return new PluginError(code, msg, details, opts);
}

/** The default PluginExec: child_process.spawn, "text file busy" retried 5 times, 1 s apart. */
export class RawExec implements PluginExec {
  readonly #stderr: NodeJS.WritableStream | null;
  readonly #forkIn: (<T>(fork: () => T) => T) | undefined;

  constructor(opts: RawExecOptions = {}) {
    this.#stderr = opts.stderr === undefined ? process.stderr : opts.stderr;
    this.#forkIn = opts.forkIn;
  }

  async execPlugin(
    file: string,
    stdin: Buffer,
    env: NodeJS.ProcessEnv,
    signal?: AbortSignal,
  ): Promise<Buffer> {
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) {
        throw new PluginError(0, `netplugin failed with no error message: ${abortText(signal)}`, undefined, {
          cause: signal.reason,
        });
      }
      const res = await this.#once(file, stdin, env, signal);
      if (res.errno === 'ETXTBSY' && attempt < 5) {
        await sleep(1000, signal);
        continue;
      }
      if (res.failure !== undefined) {
        throw pluginErr(res.failure, res.stdout, res.stderr, signal?.aborted ? signal.reason : undefined);
      }
      if (this.#stderr && res.stderr.length > 0) this.#stderr.write(res.stderr);
      return res.stdout;
    }
  }

  #once(file: string, stdin: Buffer, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<Outcome> {
    return new Promise((resolve) => {
      const fork = () => spawn(file, [], { env, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
      let child: ChildProcess;
      try {
        child = this.#forkIn ? this.#forkIn(fork) : fork();
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        resolve({
          stdout: Buffer.alloc(0),
          stderr: Buffer.alloc(0),
          errno: code,
          failure: `fork/exec ${file}: ${ERRNO_TEXT[code] ?? (e as Error).message}`,
        });
        return;
      }
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let spawnError: NodeJS.ErrnoException | undefined;
      const kill = () => {
        child.kill('SIGKILL');
      };
      signal?.addEventListener('abort', kill, { once: true });
      child.stdout?.on('data', (c: Buffer) => out.push(c));
      child.stderr?.on('data', (c: Buffer) => err.push(c));
      child.on('error', (e: NodeJS.ErrnoException) => {
        spawnError = e;
      });
      child.stdin?.on('error', () => {
        // the plugin may exit without reading stdin
      });
      child.stdin?.end(stdin);
      child.on('close', (code, sig) => {
        signal?.removeEventListener('abort', kill);
        const res: Outcome = { stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
        if (spawnError) {
          const c = spawnError.code ?? '';
          res.errno = c;
          res.failure = `fork/exec ${file}: ${ERRNO_TEXT[c] ?? spawnError.message}`;
        } else if (sig) res.failure = `signal: ${SIGNAL_TEXT[sig] ?? sig}`;
        else if (code !== 0) res.failure = `exit status ${code}`;
        resolve(res);
      });
    });
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The CNI variables of one call (Go's invoke.Args). */
export interface CniEnvArgs {
  command: string;
  containerID?: string;
  netNS?: string;
  args?: [string, string][];
  ifName?: string;
  path: string[];
}

/** `CNI_ARGS` text: `K=V;K2=V2`. */
export function stringifyCniArgs(args: [string, string][] | undefined): string {
  return (args ?? []).map(([k, v]) => `${k}=${v}`).join(';');
}

/** The runtime's environment plus all six CNI variables (always set; later values win). */
export function pluginEnv(base: NodeJS.ProcessEnv, a: CniEnvArgs): NodeJS.ProcessEnv {
  return {
    ...base,
    CNI_COMMAND: a.command,
    CNI_CONTAINERID: a.containerID ?? '',
    CNI_NETNS: a.netNS ?? '',
    CNI_ARGS: stringifyCniArgs(a.args),
    CNI_IFNAME: a.ifName ?? '',
    CNI_PATH: a.path.join(delimiter),
  };
}

/**
 * Go's invoke.FindInPath: the first regular file `<dir>/<type>` over `paths` in order. Errors:
 * `no plugin name provided`, `invalid plugin name: x`, `no paths provided`,
 * `failed to find plugin "x" in path [a b]`.
 */
export function findInPath(type: string, paths: string[]): string {
  try {
    return skelFindInPath(type, paths);
  } catch (e) {
    throw new Error((e as Error).message);
  }
}

/** A plugin's VERSION answer. */
export interface PluginInfo {
  cniVersion: string;
  supportedVersions: string[];
}

/** Decode a VERSION answer (Go's version.PluginDecoder). */
export function decodePluginInfo(stdout: Buffer | string): PluginInfo {
  let v: unknown;
  try {
    v = parseGoJSON(stdout);
    if (v !== null && (typeof v !== 'object' || Array.isArray(v))) {
      throw new Error(`json: cannot unmarshal ${jsonKind(v)} into Go value of type version.pluginInfo`);
    }
    const o = (v ?? {}) as Record<string, unknown>;
    const cv = o.cniVersion;
    if (cv !== undefined && cv !== null && typeof cv !== 'string') {
      throw new Error(
        `json: cannot unmarshal ${jsonKind(cv)} into Go struct field pluginInfo.cniVersion of type string`,
      );
    }
    const sv = o.supportedVersions;
    if (sv !== undefined && sv !== null) {
      if (!Array.isArray(sv)) {
        throw new Error(
          `json: cannot unmarshal ${jsonKind(sv)} into Go struct field pluginInfo.supportedVersions of type []string`,
        );
      }
      for (const x of sv) {
        if (typeof x !== 'string' && x !== null) {
          throw new Error(
            `json: cannot unmarshal ${jsonKind(x)} into Go struct field pluginInfo.supportedVersions of type string`,
          );
        }
      }
    }
  } catch (e) {
    throw new Error(`decoding version info: ${(e as Error).message}`, { cause: e });
  }
  const o = (v ?? {}) as Record<string, unknown>;
  const cniVersion = typeof o.cniVersion === 'string' ? o.cniVersion : '';
  const supported = Array.isArray(o.supportedVersions) ? (o.supportedVersions as (string | null)[]) : [];
  if (cniVersion === '') throw new Error('decoding version info: missing field cniVersion');
  if (supported.length === 0) {
    if (cniVersion === '0.2.0') return { cniVersion: CURRENT_VERSION, supportedVersions: ['0.1.0', '0.2.0'] };
    throw new Error('decoding version info: missing field supportedVersions');
  }
  return { cniVersion, supportedVersions: supported.map((x) => x ?? '') };
}
