// The noop test plugin (the reference's plugins/test/noop), built on @cni/skel: a CNI plugin
// whose behaviour is driven by a JSON debug file, named by `DEBUG=<path>` in CNI_ARGS or by the
// config key `debugFile`. It records each call (command, CNI args, env, stdin) in that file
// and, when the config has `commandLog`, appends the call to that JSON array file.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
// Relative import: the test kit has no package dependency on @cni/skel (see skel's README).
import {
  type CmdArgs,
  CniError,
  type Command,
  convertResult,
  ErrCode,
  getKey,
  parseNetConf,
  type PluginDef,
  type RawOutput,
  type Result,
} from '../../../../packages/skel/src/index.js';

/** The debug file: Go's noop_debug.Debug (Go field names), plus Env and Stdin. */
export interface NoopDebug {
  /** printed verbatim on stdout; "PASSTHROUGH" prints prevResult, "INJECT-DNS" adds DNS 1.2.3.4 */
  ReportResult?: string;
  /** reply with this error message… */
  ReportError?: string;
  /** …and this code (999 when 0) */
  ReportErrorCode?: number;
  /** written to stderr */
  ReportStderr?: string;
  /** the versions to support (default: every spec version plus the bogus "0.-42.0") */
  ReportVersionSupport?: string[] | null;
  /** exit with this code after printing */
  ExitWithCode?: number;
  /** written by the plugin: the last command */
  Command?: string;
  /** written by the plugin: Go's skel.CmdArgs (StdinData base64) */
  CmdArgs?: NoopCmdArgs;
  /** written by the plugin: the CNI_* and other environment it saw */
  Env?: Record<string, string>;
  /** written by the plugin: stdin as text */
  Stdin?: string;
  /** written by the plugin: the pid it ran in (the caller's own pid when run in process) */
  Pid?: number;
}

export interface NoopCmdArgs {
  ContainerID: string;
  Netns: string;
  IfName: string;
  Args: string;
  Path: string;
  NetnsOverride: string;
  StdinData: string;
}

export const NOOP_DEFAULT_VERSIONS = [
  '0.-42.0',
  '0.1.0',
  '0.2.0',
  '0.3.0',
  '0.3.1',
  '0.4.0',
  '1.0.0',
  '1.1.0',
];

function parseExtraArgs(args: string): Map<string, string> {
  const m = new Map<string, string>();
  if (args === '') return m;
  for (const item of args.split(';')) {
    const kv = item.split('=');
    if (kv.length !== 2) throw new Error(`CNI_ARGS invalid key/value pair: [${kv.join(' ')}]`);
    m.set(kv[0] as string, kv[1] as string);
  }
  return m;
}

function debugPath(stdin: Buffer, cniArgs: string): string {
  const extra = parseExtraArgs(cniArgs);
  const fromArgs = extra.get('DEBUG');
  if (fromArgs !== undefined) return fromArgs;
  try {
    const conf = JSON.parse(stdin.toString()) as Record<string, unknown>;
    const f = getKey(conf, 'debugFile');
    return typeof f === 'string' ? f : '';
  } catch {
    return '';
  }
}

export function readNoopDebug(path: string): NoopDebug {
  return JSON.parse(readFileSync(path, 'utf8')) as NoopDebug;
}

export function writeNoopDebug(path: string, debug: NoopDebug): void {
  writeFileSync(path, JSON.stringify(debug), { mode: 0o600 });
}

/** The versions the noop claims for this call (Go: only looked at when CNI_ARGS is set). */
export function noopVersions(env: Record<string, string | undefined>, stdin: Buffer): string[] {
  const cniArgs = env.CNI_ARGS ?? '';
  if (cniArgs === '') return NOOP_DEFAULT_VERSIONS;
  const path = debugPath(stdin, cniArgs);
  if (!path || !existsSync(path)) return NOOP_DEFAULT_VERSIONS;
  return readNoopDebug(path).ReportVersionSupport ?? NOOP_DEFAULT_VERSIONS;
}

function behave(command: Command, args: CmdArgs): RawOutput {
  const env = args.env ?? process.env;
  const conf = parseNetConf(args.stdinData);
  const path = debugPath(args.stdinData, args.args);
  if (path === '') {
    return { rawStdout: '{}', rawStderr: 'CNI_ARGS or config empty, no debug behavior\n' };
  }
  const debug = readNoopDebug(path);
  debug.Command = command;
  debug.CmdArgs = {
    ContainerID: args.containerID,
    Netns: args.netns,
    IfName: args.ifName,
    Args: args.args,
    Path: args.path,
    NetnsOverride: env.CNI_NETNS_OVERRIDE ?? '',
    StdinData: args.stdinData.toString('base64'),
  };
  debug.Env = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  debug.Stdin = args.stdinData.toString();
  debug.Pid = process.pid;
  writeNoopDebug(path, debug);

  const commandLog = getKey(conf.raw, 'commandLog');
  if (typeof commandLog === 'string' && commandLog !== '') {
    const buf = existsSync(commandLog) ? readFileSync(commandLog, 'utf8') : '';
    const log = buf.length > 0 ? (JSON.parse(buf) as unknown[]) : [];
    log.push({ Command: command, CmdArgs: debug.CmdArgs });
    writeFileSync(commandLog, JSON.stringify(log));
  }

  const out: RawOutput = {};
  if (debug.ReportError) {
    // An error reply has no stderr channel of its own: write it directly, as Go's noop does.
    if (debug.ReportStderr) process.stderr.write(debug.ReportStderr);
    throw new CniError(debug.ReportErrorCode || ErrCode.Internal, debug.ReportError);
  }
  if (debug.ReportStderr) out.rawStderr = debug.ReportStderr;
  if (debug.ReportResult === 'PASSTHROUGH' || debug.ReportResult === 'INJECT-DNS') {
    if (!conf.prevResult) throw new Error('failed to convert result: no prevResult in the config');
    let prev: Result = conf.prevResult;
    if (debug.ReportResult === 'INJECT-DNS')
      prev = { ...prev, dns: { ...prev.dns, nameservers: ['1.2.3.4'] } };
    let obj: Record<string, unknown>;
    try {
      obj = convertResult(prev, conf.cniVersion);
    } catch (e) {
      throw new Error(
        `failed to convert result to config ${JSON.stringify(conf.cniVersion)}: ${(e as Error).message}`,
      );
    }
    out.rawStdout = JSON.stringify(obj);
  } else if (debug.ReportResult) {
    out.rawStdout = debug.ReportResult;
  }
  if (debug.ExitWithCode && debug.ExitWithCode > 0) out.exitCode = debug.ExitWithCode;
  return out;
}

/**
 * The noop plugin for this call. `env` and `stdin` choose the version list (as the Go noop
 * does before handing over to skel); handlers record into the debug file.
 */
export function noopPlugin(
  env: Record<string, string | undefined> = process.env,
  stdin: Buffer = Buffer.alloc(0),
): PluginDef {
  return {
    type: 'noop',
    versions: noopVersions(env, stdin),
    about: 'CNI noop plugin v0.7.0',
    add: (a) => behave('ADD', a),
    del: (a) => behave('DEL', a),
    check: (a) => behave('CHECK', a),
    gc: (a) => behave('GC', a),
    status: (a) => behave('STATUS', a),
  };
}
