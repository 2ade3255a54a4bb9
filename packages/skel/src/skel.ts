// The plugin-side dispatcher: environment + stdin → verb → stdout and exit code, with the
// Go reference skel's checks, order and messages (cni-reference §2.6).
import { readFileSync, statSync, writeSync } from 'node:fs';
import { parseJSONConfig, validateContainerID, validateInterfaceName, validateNetworkName } from './conf.js';
import { CniError, ErrCode } from './errors.js';
import { getKey, goStringify, goTypeName, isPlainObject } from './json.js';
import { formatResult } from './result.js';
import type { Result } from './types.js';
import { CURRENT_VERSION, compareVersions } from './version.js';

export type Command = 'ADD' | 'DEL' | 'CHECK' | 'STATUS' | 'GC' | 'VERSION';

/** What a handler gets: the CNI_* environment and the raw stdin. */
export interface CmdArgs {
  command: Command;
  containerID: string;
  netns: string;
  ifName: string;
  args: string;
  path: string;
  stdinData: Buffer;
  /** the whole environment the plugin was run with (set by the dispatcher) */
  env?: Record<string, string | undefined>;
}

/**
 * Returned by a handler to print text verbatim (and optionally exit with a code) instead of a
 * converted Result: for test doubles and pass-through plugins. Valid for every verb.
 */
export interface RawOutput {
  rawStdout?: string;
  rawStderr?: string;
  /** exit with this code after printing (Go's os.Exit in a handler); skips the netns check */
  exitCode?: number;
}

/** A verb. ADD returns the Result to print (converted to the config's cniVersion). */
// biome-ignore lint/suspicious/noConfusingVoidType: a handler for DEL/CHECK/… returns nothing
export type Handler = (args: CmdArgs) => Result | RawOutput | void | Promise<Result | RawOutput | void>;

const isRaw = (v: unknown): v is RawOutput =>
  typeof v === 'object' && v !== null && ('rawStdout' in v || 'rawStderr' in v || 'exitCode' in v);

export interface PluginFuncs {
  add: Handler;
  del: Handler;
  check?: Handler;
  status?: Handler;
  gc?: Handler;
}

export interface PluginDef extends PluginFuncs {
  /** the plugin type (binary name), e.g. `bridge` */
  type: string;
  /** the spec versions accepted in configs, matched exactly */
  versions: readonly string[];
  /** printed to stderr when CNI_COMMAND is not set, e.g. `CNI bridge plugin v1.0.0` */
  about: string;
  /**
   * Modes of the same binary selected by the first command-line argument when CNI_COMMAND is
   * not set (e.g. `dhcp daemon [flags]`). Gets the remaining arguments; pluginMain then does
   * nothing else.
   */
  subcommands?: Record<string, (args: string[]) => Promise<void> | void>;
}

/**
 * The subcommand named by argv (after the script, and after the plugin type when a shared
 * launcher passes it first), or undefined.
 */
export function findSubcommand(
  def: PluginDef,
  argv: readonly string[],
  env: Record<string, string | undefined>,
): { run: (args: string[]) => Promise<void> | void; args: string[] } | undefined {
  if (!def.subcommands || env.CNI_COMMAND) return undefined;
  const args = argv.slice(2);
  if (args[0] === def.type && args.length > 1 && Object.hasOwn(def.subcommands, args[1] ?? '')) args.shift();
  const name = args[0];
  if (name === undefined || !Object.hasOwn(def.subcommands, name)) return undefined;
  const run = def.subcommands[name];
  return run ? { run, args: args.slice(1) } : undefined;
}

export interface RunOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
}

type Env = Record<string, string | undefined>;

// name, commands that require it, validator (run when set and required) — Go's order.
const ENV_VARS: readonly [string, readonly string[], ((v: string) => void)?][] = [
  ['CNI_COMMAND', ['ADD', 'CHECK', 'DEL', 'GC', 'STATUS']],
  ['CNI_CONTAINERID', ['ADD', 'CHECK', 'DEL'], validateContainerID],
  ['CNI_NETNS', ['ADD', 'CHECK']],
  ['CNI_IFNAME', ['ADD', 'CHECK', 'DEL'], validateInterfaceName],
  ['CNI_ARGS', []],
  ['CNI_PATH', ['ADD', 'CHECK', 'DEL', 'GC', 'STATUS']],
  ['CNI_NETNS_OVERRIDE', []],
];

const GO_NAME_STRUCT = 'struct { Name string "json:\\"name\\"" }';

/** skel's validateConfig: stdin must be JSON with a valid `name`. */
function validateConfig(stdin: Buffer): void {
  const conf = parseJSONConfig(stdin);
  if (conf === null) throw new CniError(ErrCode.InvalidNetworkConfig, 'missing network name');
  if (!isPlainObject(conf)) {
    throw new CniError(
      ErrCode.DecodingFailure,
      `error unmarshall network config: json: cannot unmarshal ${goTypeName(conf)} into Go value of type ${GO_NAME_STRUCT}`,
    );
  }
  const name = getKey(conf, 'name');
  if (name !== undefined && name !== null && typeof name !== 'string') {
    throw new CniError(
      ErrCode.DecodingFailure,
      `error unmarshall network config: json: cannot unmarshal ${goTypeName(name)} into Go struct field .name of type string`,
    );
  }
  if (!name) throw new CniError(ErrCode.InvalidNetworkConfig, 'missing network name');
  validateNetworkName(name);
}

/** create.DecodeVersion: the config's cniVersion, '' → 0.1.0; code 6 on a non-string. */
function decodeVersion(stdin: Buffer): { version: string; stated: string } {
  const conf = parseJSONConfig(stdin);
  const v = isPlainObject(conf) ? getKey(conf, 'cniVersion') : undefined;
  if (v !== undefined && v !== null && typeof v !== 'string') {
    throw new CniError(
      ErrCode.DecodingFailure,
      `decoding version from network config: json: cannot unmarshal ${goTypeName(v)} into Go struct field .cniVersion of type string`,
    );
  }
  const stated = typeof v === 'string' ? v : '';
  return { version: stated || '0.1.0', stated };
}

/** Go's %q of a []string: ["a" "b"]. */
const goQuoteList = (l: readonly string[]) => `[${l.map((s) => JSON.stringify(s)).join(' ')}]`;

function checkVersion(stdin: Buffer, versions: readonly string[]): string {
  const { version, stated } = decodeVersion(stdin);
  if (!versions.includes(version)) {
    throw new CniError(
      ErrCode.IncompatibleCNIVersion,
      'incompatible CNI versions',
      `config is ${JSON.stringify(version)}, plugin supports ${goQuoteList(versions)}`,
    );
  }
  return stated;
}

/** True when `netnsPath` is the namespace this process runs in (Go's ns.CheckNetNS). */
function isOwnNetNS(netnsPath: string): boolean {
  if (process.platform !== 'linux') return false;
  let target: { dev: number; ino: number };
  try {
    target = statSync(netnsPath);
  } catch {
    return false; // not a valid path: the plugin judges it (and DEL tolerates a gone netns)
  }
  let own: { dev: number; ino: number };
  try {
    own = statSync('/proc/self/ns/net');
  } catch {
    throw new CniError(ErrCode.InvalidNetNS, "get plugin's netns failed");
  }
  return own.dev === target.dev && own.ino === target.ino;
}

function checkNetNS(env: Env, netns: string): void {
  const override = env.CNI_NETNS_OVERRIDE ?? '';
  if (override.toUpperCase() === 'TRUE' || override === '1') return;
  if (isOwnNetNS(netns)) {
    throw new CniError(
      ErrCode.InvalidNetNS,
      "plugin's netns and netns from CNI_NETNS should not be the same",
    );
  }
}

async function call(h: Handler | undefined, args: CmdArgs): Promise<Result | RawOutput | undefined> {
  if (!h) return undefined;
  try {
    return (await h(args)) ?? undefined;
  } catch (e) {
    throw CniError.from(e);
  }
}

/** CHECK/GC/STATUS: config ≥ min, and some plugin version ≥ the config's. */
async function gatedVerb(
  verb: 'CHECK' | 'GC' | 'STATUS',
  min: string,
  def: PluginDef,
  h: Handler | undefined,
  args: CmdArgs,
): Promise<Result | RawOutput | undefined> {
  const { version } = decodeVersion(args.stdinData);
  if (compareVersions(version, min) < 0) {
    throw new CniError(ErrCode.IncompatibleCNIVersion, `config version does not allow ${verb}`);
  }
  for (const pv of def.versions) {
    if (compareVersions(pv, version) >= 0) {
      checkVersion(args.stdinData, def.versions);
      return await call(h, args);
    }
  }
  throw new CniError(ErrCode.IncompatibleCNIVersion, `plugin version does not allow ${verb}`);
}

/** The VERSION answer: compact JSON and a newline, like Go's json.Encoder. */
export function versionInfo(versions: readonly string[]): string {
  return `${goStringify({ cniVersion: CURRENT_VERSION, supportedVersions: versions })}\n`;
}

async function dispatch(def: PluginDef, env: Env, readStdin: () => Promise<Buffer>): Promise<RunOutput> {
  const get = (k: string) => env[k] ?? '';
  const cmd = get('CNI_COMMAND');
  const missing: string[] = [];
  for (const [name, required, validate] of ENV_VARS) {
    const v = get(name);
    if (v === '') {
      if (required.includes(cmd) || name === 'CNI_COMMAND') missing.push(name);
    } else if (validate && required.includes(cmd)) {
      validate(v);
    }
  }
  if (missing.length > 0) {
    if (cmd === '' && def.about) {
      return {
        exitCode: 0,
        stdout: '',
        stderr: `${def.about}\nCNI protocol versions supported: ${def.versions.join(', ')}\n`,
      };
    }
    throw new CniError(
      ErrCode.InvalidEnvironmentVariables,
      `required env variables [${missing.join(',')}] missing`,
    );
  }
  if (cmd === 'VERSION') return { exitCode: 0, stdout: versionInfo(def.versions), stderr: '' };

  let stdinData: Buffer;
  try {
    stdinData = await readStdin();
  } catch (e) {
    throw new CniError(ErrCode.IOFailure, `error reading from stdin: ${(e as Error).message ?? String(e)}`);
  }
  validateConfig(stdinData);
  const args: CmdArgs = {
    command: cmd as Command,
    containerID: get('CNI_CONTAINERID'),
    netns: get('CNI_NETNS'),
    ifName: get('CNI_IFNAME'),
    args: get('CNI_ARGS'),
    path: get('CNI_PATH'),
    stdinData,
    env,
  };
  let out: Result | RawOutput | undefined;
  switch (cmd) {
    case 'ADD':
    case 'DEL': {
      const stated = checkVersion(stdinData, def.versions);
      out = await call(cmd === 'ADD' ? def.add : def.del, args);
      if (isRaw(out)) return rawResult(out);
      const stdout = out && cmd === 'ADD' ? printResult(out, stated) : '';
      checkNetNS(env, args.netns);
      return { exitCode: 0, stdout, stderr: '' };
    }
    case 'CHECK':
      out = await gatedVerb('CHECK', '0.4.0', def, def.check, args);
      break;
    case 'GC':
      out = await gatedVerb('GC', '1.1.0', def, def.gc, args);
      break;
    case 'STATUS':
      out = await gatedVerb('STATUS', '1.1.0', def, def.status, args);
      break;
    default:
      throw new CniError(ErrCode.InvalidEnvironmentVariables, `unknown CNI_COMMAND: ${cmd}`);
  }
  return isRaw(out) ? rawResult(out) : { exitCode: 0, stdout: '', stderr: '' };
}

function rawResult(r: RawOutput): RunOutput {
  return { exitCode: r.exitCode ?? 0, stdout: r.rawStdout ?? '', stderr: r.rawStderr ?? '' };
}

function printResult(r: Result, version: string): string {
  try {
    return formatResult(r, version);
  } catch (e) {
    throw CniError.from(e);
  }
}

/** An error as printed by a plugin: 4-space indented `{code,msg,details}`, no newline. */
export function formatError(e: unknown): string {
  return goStringify(CniError.from(e).toJSON(), 4);
}

async function runWith(def: PluginDef, env: Env, readStdin: () => Promise<Buffer>): Promise<RunOutput> {
  try {
    return await dispatch(def, env, readStdin);
  } catch (e) {
    return { exitCode: 1, stdout: formatError(e), stderr: '' };
  }
}

/**
 * Run a plugin in this process: the same checks and output as pluginMain, with the given
 * environment and stdin (bytes, or a reader called only when the verb needs stdin), returning
 * what would be printed and the exit code.
 */
export function runPlugin(
  def: PluginDef,
  env: Env,
  stdin: Buffer | (() => Promise<Buffer>),
): Promise<RunOutput> {
  return runWith(def, env, typeof stdin === 'function' ? stdin : async () => stdin);
}

async function readAllStdin(): Promise<Buffer> {
  try {
    return readFileSync(0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
  }
  // A non-blocking stdin: read it as a stream.
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A plugin's main: reads process.env and stdin, dispatches to the handlers, prints the result
 * or error to stdout, and sets process.exitCode (0 or 1). Never throws; never prints a stack.
 */
export async function pluginMain(def: PluginDef): Promise<void> {
  const sub = findSubcommand(def, process.argv, process.env);
  if (sub) {
    await sub.run(sub.args);
    return;
  }
  let out: RunOutput;
  try {
    out = await runWith(def, process.env, readAllStdin);
  } catch (e) {
    out = { exitCode: 1, stdout: formatError(e), stderr: '' };
  }
  if (out.stderr) writeAll(2, out.stderr);
  if (out.stdout) writeAll(1, out.stdout);
  process.exitCode = out.exitCode;
}

/**
 * Write synchronously to fd 1 or 2: no process.stdout stream (a pipe makes it a net.Socket,
 * which loads node:net and the stream machinery into every plugin process). A non-blocking fd
 * that is full (EAGAIN) falls back to the stream; a closed one (EPIPE) is ignored.
 */
function writeAll(fd: 1 | 2, text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  try {
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
  } catch (e) {
    // EPIPE and the like: the reader is gone, there is nobody left to tell.
    if ((e as NodeJS.ErrnoException).code === 'EAGAIN')
      (fd === 1 ? process.stdout : process.stderr).write(buf.subarray(off));
  }
}
