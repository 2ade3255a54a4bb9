// cnitool's entry: parse the command line, run the verb through @cni/libcni, print like the
// reference (add: the result as 4-space JSON without a trailing newline; others: nothing),
// errors on stderr with exit status 1.
import { CNIConfig, loadNetworkConf, type RuntimeConf } from '@cni/libcni';
import { formatResult } from '@cni/skel';
import {
  type CommandLine,
  DEFAULT_NET_DIR,
  NETWORK_VERBS,
  type NetworkVerb,
  parseCommandLine,
  pluginPaths,
  runtimeSetup,
  USAGE,
  UsageError,
} from './args.js';
import { runDemo } from './demo.js';
import { formatReport, validate } from './validate.js';

export interface IO {
  stdout(s: string): void;
  stderr(s: string): void;
}

export interface RunOptions {
  cwd?: string;
  /** How to start cnitool as a child process (the demo runs its verbs that way). */
  self?: string[];
  signal?: AbortSignal;
}

export const VERSION = '0.1.0';

function cacheDirOf(cl: CommandLine, env: NodeJS.ProcessEnv): string | undefined {
  return cl.cacheDir || env.CNI_CACHE_DIR || undefined;
}

async function networkVerb(
  verb: NetworkVerb,
  cl: CommandLine,
  env: NodeJS.ProcessEnv,
  io: IO,
  o: RunOptions,
): Promise<number> {
  if (cl.positionals.length < 2) {
    throw new UsageError(`requires at least 2 arg(s), only received ${cl.positionals.length}`);
  }
  // The reference's order: the configuration first, then CAP_ARGS, CNI_ARGS, the namespace.
  const list = loadNetworkConf(env.NETCONFPATH || DEFAULT_NET_DIR, cl.positionals[0] as string);
  const setup = runtimeSetup(cl, env, o.cwd);
  const cacheDir = cacheDirOf(cl, env);
  const cni = new CNIConfig({
    path: pluginPaths(env),
    ...(cacheDir !== undefined ? { cacheDir } : {}),
    ...(cl.timeoutMs !== undefined ? { timeoutMs: cl.timeoutMs } : {}),
    env,
  });
  const rt: RuntimeConf = { containerID: setup.containerID, netNS: setup.netNS, ifName: setup.ifName };
  if (setup.args !== undefined) rt.args = setup.args;
  if (setup.capabilityArgs !== undefined) rt.capabilityArgs = setup.capabilityArgs;
  if (cacheDir !== undefined) rt.cacheDir = cacheDir;
  const call = o.signal ? { signal: o.signal } : {};
  if ((verb === 'check' || verb === 'del') && (env.CAP_ARGS === undefined || env.CNI_ARGS === undefined)) {
    // Beyond the reference: CHECK and DEL get the ADD's capability and CNI args from the cache
    // unless CAP_ARGS / CNI_ARGS are set, as a runtime passes the same ones again (portmap, for
    // one, removes its rules only when DEL names the port mappings).
    const cached = await cni.getNetworkListCachedConfig(list, rt).catch(() => undefined);
    if (cached) {
      if (env.CAP_ARGS === undefined && cached.rt.capabilityArgs !== undefined)
        rt.capabilityArgs = cached.rt.capabilityArgs;
      if (env.CNI_ARGS === undefined && cached.rt.args !== undefined) rt.args = cached.rt.args;
    }
  }
  switch (verb) {
    case 'add': {
      const result = await cni.addNetworkList(list, rt, call);
      if (result) io.stdout(formatResult(result, list.cniVersion));
      return 0;
    }
    case 'check':
      await cni.checkNetworkList(list, rt, call);
      return 0;
    case 'del':
      await cni.delNetworkList(list, rt, call);
      return 0;
    case 'gc':
      // As the reference, nothing is valid: every cached attachment of the network is DELed,
      // then the plugins get GC. The reference sends GC without an attachment list; we send an
      // empty one (the same meaning), which plugins that implement GC (host-local) require.
      await cni.gcNetworkList(list, { validAttachments: [] }, call);
      return 0;
    case 'status':
      await cni.getStatusNetworkList(list, call);
      return 0;
  }
}

/** Run cnitool with `argv` (no node, no script); resolves to the exit status. */
export async function run(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: IO,
  o: RunOptions = {},
): Promise<number> {
  try {
    const cl = parseCommandLine(argv);
    if (cl.help || cl.command === 'help' || cl.command === undefined) {
      (cl.command === undefined && !cl.help ? io.stderr : io.stdout)(USAGE);
      return cl.command === undefined && !cl.help ? 1 : 0;
    }
    if (cl.command === 'version') {
      io.stdout(`cnitool ${VERSION} (@cni/cnitool, CNI spec 1.1.0)\n`);
      return 0;
    }
    if ((NETWORK_VERBS as readonly string[]).includes(cl.command)) {
      return await networkVerb(cl.command as NetworkVerb, cl, env, io, o);
    }
    if (cl.command === 'validate') {
      if (cl.positionals.length < 1) throw new UsageError('requires at least 1 arg(s), only received 0');
      const paths = pluginPaths(env);
      const cni = new CNIConfig({ path: paths, env, ...(cl.timeoutMs ? { timeoutMs: cl.timeoutMs } : {}) });
      const r = await validate(cl.positionals[0] as string, {
        netDir: env.NETCONFPATH || DEFAULT_NET_DIR,
        paths,
        probe: async (type) => (await cni.getVersionInfo(type)).supportedVersions,
        ...(o.cwd !== undefined ? { cwd: o.cwd } : {}),
      });
      if (cl.json) io.stdout(`${JSON.stringify(r, null, 2)}\n`);
      else (r.valid ? io.stdout : io.stderr)(formatReport(r));
      return r.valid ? 0 : 1;
    }
    // demo
    return await runDemo({
      env,
      io,
      keep: cl.keep,
      ...(o.signal ? { signal: o.signal } : {}),
      self: o.self ?? [process.execPath, process.argv[1] ?? 'cnitool'],
      ...(cl.timeoutMs !== undefined ? { timeoutMs: cl.timeoutMs } : {}),
    });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    io.stderr(`${msg}\n`);
    return 1;
  }
}
