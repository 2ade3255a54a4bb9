// The command line and environment of cnitool (cni-reference §2.7): which verb, which network,
// which namespace, and the runtime configuration derived from NETCONFPATH, CNI_PATH, CNI_ARGS,
// CAP_ARGS and CNI_IFNAME. Pure functions: no file system, no processes.
import { createHash } from 'node:crypto';
import { delimiter, resolve } from 'node:path';

export const DEFAULT_NET_DIR = '/etc/cni/net.d';
export const DEFAULT_CACHE_DIR = '/var/lib/cni';

export const NETWORK_VERBS = ['add', 'check', 'del', 'gc', 'status'] as const;
export type NetworkVerb = (typeof NETWORK_VERBS)[number];
export const COMMANDS = [...NETWORK_VERBS, 'validate', 'demo', 'help', 'version'] as const;
export type Command = (typeof COMMANDS)[number];

/** An error in what the user typed: printed on stderr, exit 1, no stack. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface CommandLine {
  command: Command | undefined;
  positionals: string[];
  /** `-i/--ifname` (wins over CNI_IFNAME). */
  ifName?: string;
  /** `--cache-dir` (extension; wins over CNI_CACHE_DIR). */
  cacheDir?: string;
  /** `--timeout` in seconds (extension): per plugin call. */
  timeoutMs?: number;
  /** `--keep` (demo): leave the namespaces for inspection. */
  keep: boolean;
  /** `--json` (validate): machine-readable report. */
  json: boolean;
  help: boolean;
}

const VALUE_FLAGS: Record<string, keyof CommandLine> = {
  '-i': 'ifName',
  '--ifname': 'ifName',
  '--cache-dir': 'cacheDir',
  '--timeout': 'timeoutMs',
};
const BOOL_FLAGS: Record<string, 'keep' | 'json' | 'help'> = {
  '--keep': 'keep',
  '--json': 'json',
  '-h': 'help',
  '--help': 'help',
};

/**
 * Parse argv (without node and the script). Flags may appear before or after the command,
 * as cobra's persistent flags do; `--` ends the flags.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const out: CommandLine = { command: undefined, positionals: [], keep: false, json: false, help: false };
  const words: string[] = [];
  let flagsDone = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (flagsDone || !a.startsWith('-') || a === '-') {
      words.push(a);
      continue;
    }
    if (a === '--') {
      flagsDone = true;
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const bool = BOOL_FLAGS[name];
    if (bool) {
      if (name !== a) throw new UsageError(`flag ${name} does not take a value`);
      out[bool] = true;
      continue;
    }
    const key = VALUE_FLAGS[name];
    if (key === undefined) throw new UsageError(`unknown flag: ${name}`);
    let value: string | undefined;
    if (name !== a) value = a.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
      if (value === undefined) throw new UsageError(`flag needs an argument: ${name}`);
    }
    if (key === 'timeoutMs') {
      const s = Number(value);
      if (!/^[0-9]+(\.[0-9]+)?$/.test(value) || !(s > 0)) {
        throw new UsageError(`invalid value "${value}" for ${name}: a positive number of seconds`);
      }
      out.timeoutMs = Math.round(s * 1000);
    } else if (key === 'ifName') out.ifName = value;
    else out.cacheDir = value;
  }
  const [first, ...rest] = words;
  if (first !== undefined) {
    if (!(COMMANDS as readonly string[]).includes(first)) {
      throw new UsageError(`unknown command "${first}" for "cnitool"`);
    }
    out.command = first as Command;
  }
  out.positionals = rest;
  return out;
}

/**
 * CNI_ARGS as cnitool reads it: `K=V;K2=V2`, every pair exactly one `=` with a non-empty key
 * and value (an empty pair, e.g. from a trailing `;`, is an error as in the reference).
 */
export function parseCniArgsEnv(value: string): [string, string][] {
  const out: [string, string][] = [];
  for (const pair of value.split(';')) {
    const kv = pair.split('=');
    if (kv.length !== 2 || kv[0] === '' || kv[1] === '') {
      throw new UsageError(`invalid CNI_ARGS pair ${JSON.stringify(pair)}`);
    }
    out.push([kv[0] as string, kv[1] as string]);
  }
  return out;
}

/** CAP_ARGS: a JSON object of capability arguments (`{"portMappings": [...]}`). */
export function parseCapArgsEnv(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (e) {
    throw new UsageError(`invalid CAP_ARGS: ${(e as Error).message}`);
  }
  if (parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    const t = Array.isArray(parsed) ? 'array' : typeof parsed === 'boolean' ? 'bool' : typeof parsed;
    throw new UsageError(`json: cannot unmarshal ${t} into Go value of type map[string]interface {}`);
  }
  return parsed as Record<string, unknown>;
}

/** The reference's container ID: `cnitool-` + the first 10 bytes of SHA-512(absolute netns path) in hex. */
export function containerIdFor(absNetnsPath: string): string {
  return `cnitool-${createHash('sha512').update(absNetnsPath).digest('hex').slice(0, 20)}`;
}

/** `--ifname` wins, then CNI_IFNAME; empty means eth0. */
export function resolveIfName(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return flag;
  return env.CNI_IFNAME || 'eth0';
}

/** CNI_PATH split like Go's filepath.SplitList ('' → no directories). */
export function pluginPaths(env: NodeJS.ProcessEnv): string[] {
  const v = env.CNI_PATH ?? '';
  return v === '' ? [] : v.split(delimiter);
}

export interface RuntimeSetup {
  netDir: string;
  netName: string;
  netNS: string;
  containerID: string;
  ifName: string;
  args?: [string, string][];
  capabilityArgs?: Record<string, unknown>;
}

/** Everything a network verb needs from argv and the environment (before loading the config). */
export function runtimeSetup(cl: CommandLine, env: NodeJS.ProcessEnv, cwd = process.cwd()): RuntimeSetup {
  if (cl.positionals.length < 2) {
    throw new UsageError(`requires at least 2 arg(s), only received ${cl.positionals.length}`);
  }
  const [netName, nsArg] = cl.positionals as [string, string];
  const netNS = resolve(cwd, nsArg);
  const setup: RuntimeSetup = {
    netDir: env.NETCONFPATH || DEFAULT_NET_DIR,
    netName,
    netNS,
    containerID: containerIdFor(netNS),
    ifName: resolveIfName(cl.ifName, env),
  };
  if (env.CAP_ARGS) setup.capabilityArgs = parseCapArgsEnv(env.CAP_ARGS);
  if (env.CNI_ARGS) setup.args = parseCniArgsEnv(env.CNI_ARGS);
  return setup;
}

export const USAGE = `cnitool: run a CNI network configuration against a network namespace

Usage:
  cnitool add|check|del|gc|status <network-name> <netns-path> [-i|--ifname NAME]
  cnitool validate <file|network-name> [--json]
  cnitool demo [--keep]

Commands:
  add       add the namespace to the network; prints the result (JSON)
  check     check the attachment made by add
  del       remove the attachment
  gc        garbage-collect: DEL every cached attachment of the network, then GC
  status    ask every plugin of the network whether it is ready
  validate  check a configuration: JSON paths of errors, plugin binaries, spec versions
  demo      a throwaway host and container namespace joined by an embedded network,
            connectivity proved, then removed (plugins from CNI_PATH or the build)

Flags:
  -i, --ifname NAME   interface name in the namespace (default: $CNI_IFNAME or eth0)
  --cache-dir DIR     result cache directory (default: $CNI_CACHE_DIR or ${DEFAULT_CACHE_DIR})
  --timeout SECONDS   time limit for each plugin call
  -h, --help          this text

Environment:
  NETCONFPATH  configuration directory (default ${DEFAULT_NET_DIR})
  CNI_PATH     plugin directories, ':'-separated
  CNI_ARGS     K=V;K2=V2 passed to the plugins
  CAP_ARGS     JSON object of capability arguments, e.g. {"portMappings":[...]}
  CNI_IFNAME   interface name (default eth0)
`;
