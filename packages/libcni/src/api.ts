// CNIConfig: run plugin chains for a runtime (cni-reference §1.5, §2.2–2.5), Go libcni's API
// as async TypeScript.
import {
  CURRENT_VERSION,
  compareVersions,
  convertResult,
  goStringify,
  parseResult,
  type Result,
  validateContainerID,
  validateInterfaceName,
  validateNetworkName,
} from '@cni/skel';
import {
  type CachedAttachment,
  cacheFilePath,
  cachedResultFrom,
  DEFAULT_CACHE_DIR,
  decodeCachedInfo,
  encodeCachedInfo,
  listCachedAttachments,
  readCacheFile,
  removeCacheFile,
  writeCacheFile,
  CNI_CACHE_V1,
} from './cache.js';
import { confFromBytes, type NetworkConfig, type NetworkConfigList, type PluginConf } from './conf.js';
import { JoinedError, wrapError } from './errors.js';
import {
  decodePluginInfo,
  findInPath,
  type PluginExec,
  type PluginInfo,
  pluginEnv,
  RawExec,
} from './exec.js';
import {
  goQuote,
  jsonKind,
  marshalOrdered,
  marshalSorted,
  parseGoJSON,
  parseGoMap,
  RawJSON,
} from './json.js';

/** The arguments of one attachment (Go's RuntimeConf). */
export interface RuntimeConf {
  containerID: string;
  netNS: string;
  ifName: string;
  /** CNI_ARGS pairs, sent as `K=V;K2=V2` */
  args?: [string, string][];
  /** capability arguments; each plugin gets those its `capabilities` enable, as `runtimeConfig` */
  capabilityArgs?: Record<string, unknown>;
  /** deprecated: the cache directory when the CNIConfig has none */
  cacheDir?: string;
}

/** Per-call options: an AbortSignal and/or a timeout; either kills a running plugin. */
export interface CallOptions {
  signal?: AbortSignal;
  /** deadline of the whole call in ms (overrides the CNIConfig default; 0 = none) */
  timeoutMs?: number;
}

export interface CNIConfigOptions {
  /** directories searched for plugin binaries, in order (also sent as CNI_PATH) */
  path: string[];
  /** cache directory (default /var/lib/cni) */
  cacheDir?: string;
  /** default timeout of every call, in ms (none by default, as Go) */
  timeoutMs?: number;
  /** the runtime environment plugins inherit (default process.env at call time) */
  env?: NodeJS.ProcessEnv;
  /** how plugins are run (default `new RawExec()`) */
  exec?: PluginExec;
}

/** A still-valid attachment for GC. */
export interface GCAttachment {
  containerID: string;
  ifName: string;
}

export interface GCArgs {
  validAttachments: GCAttachment[];
}

export type Verb = 'ADD' | 'CHECK' | 'DEL' | 'GC' | 'STATUS' | 'VERSION';

function gte(version: string, other: string): boolean {
  return compareVersions(version, other) >= 0;
}

/** Go's pluginDescription: `type="bridge" name="x"` (name only when the plugin object has one). */
function pluginDescription(net: PluginConf | undefined): string {
  if (!net) return '<missing>';
  let out = `type=${goQuote(net.type)}`;
  if (net.name !== '') out += ` name=${goQuote(net.name)}`;
  return out;
}

/**
 * Go's InjectConf: the plugin object with `values` set at the top level, re-marshalled like a
 * Go map (sorted keys; RawJSON values verbatim), re-parsed as a plugin config.
 */
export function injectConf(orig: NetworkConfig, values: Record<string, unknown>): NetworkConfig {
  let config: Record<string, unknown>;
  try {
    config = { ...parseGoMap(orig.bytes) };
  } catch (e) {
    throw wrapError('unmarshal existing network bytes', e);
  }
  for (const [k, v] of Object.entries(values)) {
    if (k === '') throw new Error('keys cannot be empty');
    if (v === null || v === undefined) throw new Error(`key '${k}' value must not be nil`);
    config[k] = v;
  }
  return confFromBytes(Buffer.from(marshalSorted(config)));
}

/** A result as Go marshals it inside a request: its version's own layout. */
function resultJSON(result: Result, version: string): RawJSON {
  let obj: Record<string, unknown>;
  try {
    obj = convertResult(result, version);
  } catch {
    // Go passes the previous result as it is when it is not in the list's version.
    obj = convertResult(result, result.cniVersion);
  }
  return new RawJSON(goStringify(obj));
}

/**
 * Go's buildOneConfig: `name` and `cniVersion` of the list, `prevResult` (in the list version)
 * when given, and `runtimeConfig` = the runtime's capability args the plugin enables (a static
 * `runtimeConfig` stays when none match).
 */
export function buildOneConfig(
  name: string,
  cniVersion: string,
  orig: NetworkConfig,
  prevResult: Result | undefined,
  rt: RuntimeConf | undefined,
): NetworkConfig {
  const inject: Record<string, unknown> = { name, cniVersion };
  if (prevResult) inject.prevResult = resultJSON(prevResult, cniVersion);
  let conf = injectConf(orig, inject);
  if (rt) {
    const rc: Record<string, unknown> = {};
    const capArgs = rt.capabilityArgs ?? {};
    for (const [cap, enabled] of Object.entries(conf.network.capabilities ?? {})) {
      if (!enabled) continue;
      if (Object.hasOwn(capArgs, cap)) rc[cap] = capArgs[cap];
    }
    if (Object.keys(rc).length > 0) conf = injectConf(conf, { runtimeConfig: rc });
  }
  return conf;
}

/** Runs CNI plugins for a runtime (Go's libcni.CNIConfig). */
export class CNIConfig {
  readonly path: string[];
  readonly cacheDir: string | undefined;
  readonly timeoutMs: number | undefined;
  readonly #env: NodeJS.ProcessEnv | undefined;
  readonly #exec: PluginExec;

  constructor(opts: CNIConfigOptions) {
    this.path = [...opts.path];
    this.cacheDir = opts.cacheDir;
    this.timeoutMs = opts.timeoutMs;
    this.#env = opts.env;
    this.#exec = opts.exec ?? new RawExec();
  }

  // ---- helpers ----------------------------------------------------------------------------

  #signal(o: CallOptions | undefined): AbortSignal | undefined {
    const ms = o?.timeoutMs ?? this.timeoutMs;
    const signals: AbortSignal[] = [];
    if (o?.signal) signals.push(o.signal);
    if (ms !== undefined && ms > 0) signals.push(AbortSignal.timeout(ms));
    if (signals.length === 0) return undefined;
    if (signals.length === 1) return signals[0];
    return AbortSignal.any(signals);
  }

  #find(type: string): string {
    return this.#exec.findInPath ? this.#exec.findInPath(type, this.path) : findInPath(type, this.path);
  }

  #getCacheDir(rt?: RuntimeConf): string {
    if (this.cacheDir) return this.cacheDir;
    if (rt?.cacheDir) return rt.cacheDir;
    return DEFAULT_CACHE_DIR;
  }

  #cachePath(netName: string, rt: RuntimeConf): string {
    return cacheFilePath(this.#getCacheDir(rt), netName, rt.containerID, rt.ifName);
  }

  async #run(
    verb: Verb,
    file: string,
    stdin: Buffer,
    rt: RuntimeConf | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Buffer> {
    const env = pluginEnv(this.#env ?? process.env, {
      command: verb,
      containerID: rt?.containerID ?? '',
      netNS: rt?.netNS ?? '',
      ifName: rt?.ifName ?? '',
      path: this.path,
      ...(rt?.args ? { args: rt.args } : {}),
    });
    return this.#exec.execPlugin(file, stdin, env, signal);
  }

  #cacheAdd(result: Result | undefined, config: Buffer, netName: string, rt: RuntimeConf): void {
    const text = encodeCachedInfo({
      containerID: rt.containerID,
      config,
      ifName: rt.ifName,
      networkName: netName,
      netns: rt.netNS,
      ...(rt.args ? { cniArgs: rt.args } : {}),
      ...(rt.capabilityArgs ? { capabilityArgs: rt.capabilityArgs } : {}),
      ...(result ? { result } : {}),
    });
    writeCacheFile(this.#cachePath(netName, rt), text);
  }

  #cacheDel(netName: string, rt: RuntimeConf): void {
    let path: string;
    try {
      path = this.#cachePath(netName, rt);
    } catch {
      return;
    }
    try {
      removeCacheFile(path);
    } catch {
      // Go ignores it too
    }
  }

  #getCachedResult(netName: string, cniVersion: string, rt: RuntimeConf): Result | undefined {
    const data = readCacheFile(this.#cachePath(netName, rt));
    if (!data) return undefined;
    return cachedResultFrom(data, cniVersion);
  }

  /** Parse a plugin's ADD output (Go's fixupResultVersion + create.Create). */
  #parseAddResult(netconf: Buffer, stdout: Buffer): Result {
    let confVersion = '0.1.0';
    const conf = parseGoMap(netconf);
    if (typeof conf.cniVersion === 'string' && conf.cniVersion !== '') confVersion = conf.cniVersion;
    let raw: unknown;
    try {
      raw = parseGoJSON(stdout);
      if (raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
        throw new Error(
          `json: cannot unmarshal ${jsonKind(raw)} into Go value of type map[string]interface {}`,
        );
      }
    } catch (e) {
      throw wrapError('failed to unmarshal raw result', e);
    }
    const obj = (raw ?? {}) as Record<string, unknown>;
    const stated = obj.cniVersion;
    const version = typeof stated === 'string' && stated !== '' ? stated : confVersion;
    return parseResult({ ...obj, cniVersion: version }, version);
  }

  async #addNetwork(
    name: string,
    cniVersion: string,
    net: NetworkConfig,
    prevResult: Result | undefined,
    rt: RuntimeConf,
    signal: AbortSignal | undefined,
  ): Promise<Result> {
    const file = this.#find(net.network.type);
    validateContainerID(rt.containerID);
    validateNetworkName(name);
    validateInterfaceName(rt.ifName);
    const conf = buildOneConfig(name, cniVersion, net, prevResult, rt);
    const out = await this.#run('ADD', file, conf.bytes, rt, signal);
    return this.#parseAddResult(conf.bytes, out);
  }

  async #checkOrDel(
    verb: 'CHECK' | 'DEL',
    name: string,
    cniVersion: string,
    net: NetworkConfig,
    prevResult: Result | undefined,
    rt: RuntimeConf,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const file = this.#find(net.network.type);
    const conf = buildOneConfig(name, cniVersion, net, prevResult, rt);
    await this.#run(verb, file, conf.bytes, rt, signal);
  }

  // ---- lists --------------------------------------------------------------------------------

  /**
   * ADD every plugin in order (each gets the previous result as `prevResult`), then cache the
   * final result. Errors: `plugin type="x" name="y" failed (add): …`.
   */
  async addNetworkList(list: NetworkConfigList, rt: RuntimeConf, o?: CallOptions): Promise<Result> {
    const signal = this.#signal(o);
    let result: Result | undefined;
    for (const net of list.plugins) {
      try {
        result = await this.#addNetwork(list.name, list.cniVersion, net, result, rt, signal);
      } catch (e) {
        throw wrapError(`plugin ${pluginDescription(net.network)} failed (add)`, e);
      }
    }
    try {
      this.#cacheAdd(result, list.bytes, list.name, rt);
    } catch (e) {
      throw wrapError(`failed to set network ${goQuote(list.name)} cached result`, e);
    }
    // A list without plugins has no result (Go returns nil): an empty one in the list version.
    return result ?? { cniVersion: list.cniVersion };
  }

  /** CHECK every plugin in order with the cached result (needs version ≥ 0.4.0). */
  async checkNetworkList(list: NetworkConfigList, rt: RuntimeConf, o?: CallOptions): Promise<void> {
    if (!gte(list.cniVersion, '0.4.0')) {
      throw new Error(`configuration version ${goQuote(list.cniVersion)} does not support the CHECK command`);
    }
    if (list.disableCheck) return;
    let cached: Result | undefined;
    try {
      cached = this.#getCachedResult(list.name, list.cniVersion, rt);
    } catch (e) {
      throw wrapError(`failed to get network ${goQuote(list.name)} cached result`, e);
    }
    const signal = this.#signal(o);
    for (const net of list.plugins) {
      await this.#checkOrDel('CHECK', list.name, list.cniVersion, net, cached, rt, signal);
    }
  }

  /**
   * DEL every plugin in reverse order with the cached result (from 0.4.0), then remove the cache
   * file. An unreadable cache is removed and the DEL goes on without prevResult.
   */
  async delNetworkList(list: NetworkConfigList, rt: RuntimeConf, o?: CallOptions): Promise<void> {
    let cached: Result | undefined;
    if (gte(list.cniVersion, '0.4.0')) {
      try {
        cached = this.#getCachedResult(list.name, list.cniVersion, rt);
      } catch {
        this.#cacheDel(list.name, rt);
        cached = undefined;
      }
    }
    const signal = this.#signal(o);
    for (let i = list.plugins.length - 1; i >= 0; i--) {
      const net = list.plugins[i] as NetworkConfig;
      try {
        await this.#checkOrDel('DEL', list.name, list.cniVersion, net, cached, rt, signal);
      } catch (e) {
        throw wrapError(`plugin ${pluginDescription(net.network)} failed (delete)`, e);
      }
    }
    this.#cacheDel(list.name, rt);
  }

  /**
   * GC: DEL every cached attachment of this network that is not in `args.validAttachments`
   * (all of them when `args` is undefined), then, from 1.1.0, send GC to every plugin with
   * `cni.dev/valid-attachments` (and `cni.dev/attachments`). Errors are collected and thrown
   * together (JoinedError).
   */
  async gcNetworkList(list: NetworkConfigList, args?: GCArgs, o?: CallOptions): Promise<void> {
    if (list.disableGC) return;
    // One deadline for the whole call, DELs and GCs included.
    const signal = this.#signal(o);
    const inner: CallOptions = signal ? { signal, timeoutMs: 0 } : { timeoutMs: 0 };
    let cached: CachedAttachment[];
    try {
      cached = await this.getCachedAttachments('');
    } catch {
      return;
    }
    const valid = args
      ? new Set(args.validAttachments.map((a) => `${a.containerID}\0${a.ifName}`))
      : undefined;
    const errs: Error[] = [];
    for (const a of cached) {
      if (a.networkName !== list.name) continue;
      if (valid?.has(`${a.containerID}\0${a.ifName}`)) continue;
      const rt: RuntimeConf = {
        containerID: a.containerID,
        netNS: a.netns,
        ifName: a.ifName,
        args: a.cniArgs,
        capabilityArgs: a.capabilityArgs,
      };
      try {
        await this.delNetworkList(list, rt, inner);
      } catch (e) {
        errs.push(wrapError(`failed to delete stale attachment ${rt.containerID} ${rt.ifName}`, e));
      }
    }
    let supportsGC = false;
    try {
      supportsGC = gte(list.cniVersion, '1.1.0');
    } catch {
      supportsGC = false;
    }
    if (supportsGC) {
      const inject: Record<string, unknown> = { name: list.name, cniVersion: list.cniVersion };
      if (args) {
        // []types.GCAttachment: struct order containerID, ifname
        const attachments = new RawJSON(
          `[${args.validAttachments
            .map((a) =>
              marshalOrdered([
                ['containerID', a.containerID],
                ['ifname', a.ifName],
              ]),
            )
            .join(',')}]`,
        );
        inject['cni.dev/valid-attachments'] = attachments;
        inject['cni.dev/attachments'] = attachments;
      }
      for (const plugin of list.plugins) {
        let conf: NetworkConfig;
        try {
          conf = injectConf(plugin, inject);
        } catch (e) {
          errs.push(wrapError(`failed to generate configuration to GC plugin ${plugin.network.type}`, e));
          continue;
        }
        try {
          const file = this.#find(conf.network.type);
          await this.#run('GC', file, conf.bytes, undefined, signal);
        } catch (e) {
          errs.push(wrapError(`failed to GC plugin ${plugin.network.type}`, e));
        }
      }
    }
    if (errs.length > 0) throw new JoinedError(errs);
  }

  /** STATUS every plugin in order (from 1.1.0; older lists succeed without calling plugins). */
  async getStatusNetworkList(list: NetworkConfigList, o?: CallOptions): Promise<void> {
    let supported = false;
    try {
      supported = gte(list.cniVersion, '1.1.0');
    } catch {
      supported = false;
    }
    if (!supported) return;
    const inject = { name: list.name, cniVersion: list.cniVersion };
    const signal = this.#signal(o);
    for (const plugin of list.plugins) {
      let conf: NetworkConfig;
      try {
        conf = injectConf(plugin, inject);
      } catch (e) {
        throw wrapError(`failed to generate configuration to get plugin STATUS ${plugin.network.type}`, e);
      }
      const file = this.#find(conf.network.type);
      await this.#run('STATUS', file, conf.bytes, undefined, signal);
    }
  }

  // ---- single plugins -----------------------------------------------------------------------

  /** ADD one plugin config (its own name and version) and cache the result. */
  async addNetwork(net: NetworkConfig, rt: RuntimeConf, o?: CallOptions): Promise<Result> {
    const result = await this.#addNetwork(
      net.network.name,
      net.network.cniVersion,
      net,
      undefined,
      rt,
      this.#signal(o),
    );
    try {
      this.#cacheAdd(result, net.bytes, net.network.name, rt);
    } catch (e) {
      throw wrapError(`failed to set network ${goQuote(net.network.name)} cached result`, e);
    }
    return result;
  }

  async checkNetwork(net: NetworkConfig, rt: RuntimeConf, o?: CallOptions): Promise<void> {
    const v = net.network.cniVersion;
    if (!gte(v, '0.4.0'))
      throw new Error(`configuration version ${goQuote(v)} does not support the CHECK command`);
    let cached: Result | undefined;
    try {
      cached = this.#getCachedResult(net.network.name, v, rt);
    } catch (e) {
      throw wrapError(`failed to get network ${goQuote(net.network.name)} cached result`, e);
    }
    await this.#checkOrDel('CHECK', net.network.name, v, net, cached, rt, this.#signal(o));
  }

  async delNetwork(net: NetworkConfig, rt: RuntimeConf, o?: CallOptions): Promise<void> {
    const v = net.network.cniVersion;
    let cached: Result | undefined;
    if (gte(v, '0.4.0')) {
      try {
        cached = this.#getCachedResult(net.network.name, v, rt);
      } catch {
        this.#cacheDel(net.network.name, rt);
        cached = undefined;
      }
    }
    await this.#checkOrDel('DEL', net.network.name, v, net, cached, rt, this.#signal(o));
    this.#cacheDel(net.network.name, rt);
  }

  // ---- cache --------------------------------------------------------------------------------

  /** Cached attachments (all, or those of one container), sorted by cache file name. */
  async getCachedAttachments(containerID = ''): Promise<CachedAttachment[]> {
    return listCachedAttachments(this.#getCacheDir(), containerID);
  }

  /** The cached ADD result of `list` for `rt`, in the list's version; undefined if none. */
  async getNetworkListCachedResult(list: NetworkConfigList, rt: RuntimeConf): Promise<Result | undefined> {
    return this.#getCachedResult(list.name, list.cniVersion, rt);
  }

  async getNetworkCachedResult(net: NetworkConfig, rt: RuntimeConf): Promise<Result | undefined> {
    return this.#getCachedResult(net.network.name, net.network.cniVersion, rt);
  }

  /**
   * The cached config bytes and `rt` updated with the cached CNI args and capability args;
   * undefined when nothing is cached.
   */
  async getNetworkListCachedConfig(
    list: NetworkConfigList,
    rt: RuntimeConf,
  ): Promise<{ bytes: Buffer; rt: RuntimeConf } | undefined> {
    return this.#getCachedConfig(list.name, rt);
  }

  async getNetworkCachedConfig(
    net: NetworkConfig,
    rt: RuntimeConf,
  ): Promise<{ bytes: Buffer; rt: RuntimeConf } | undefined> {
    return this.#getCachedConfig(net.network.name, rt);
  }

  #getCachedConfig(netName: string, rt: RuntimeConf): { bytes: Buffer; rt: RuntimeConf } | undefined {
    const data = readCacheFile(this.#cachePath(netName, rt));
    if (!data) return undefined;
    let info: ReturnType<typeof decodeCachedInfo>;
    try {
      info = decodeCachedInfo(data);
    } catch (e) {
      throw wrapError(`failed to unmarshal cached network ${goQuote(netName)} config`, e);
    }
    if (info.kind !== CNI_CACHE_V1) {
      throw new Error(`read cached network ${goQuote(netName)} config has wrong kind: ${info.kind}`);
    }
    const newRt: RuntimeConf = { ...rt };
    if (info.cniArgs) newRt.args = info.cniArgs;
    if (info.capabilityArgs) newRt.capabilityArgs = info.capabilityArgs;
    else delete newRt.capabilityArgs;
    return { bytes: info.config, rt: newRt };
  }

  // ---- validation and versions --------------------------------------------------------------

  async #validatePlugin(type: string, expected: string, signal: AbortSignal | undefined): Promise<void> {
    const file = this.#find(type);
    const want = expected === '' ? '0.1.0' : expected;
    const vi = await this.#versionInfo(file, signal);
    if (!vi.supportedVersions.includes(want)) {
      throw new Error(`plugin ${type} does not support config version ${goQuote(want)}`);
    }
  }

  async #versionInfo(file: string, signal: AbortSignal | undefined): Promise<PluginInfo> {
    const env = pluginEnv(this.#env ?? process.env, {
      command: 'VERSION',
      netNS: 'dummy',
      ifName: 'dummy',
      path: [],
    });
    env.CNI_PATH = 'dummy';
    let out: Buffer;
    try {
      out = await this.#exec.execPlugin(
        file,
        Buffer.from(`{"cniVersion":"${CURRENT_VERSION}"}`),
        env,
        signal,
      );
    } catch (e) {
      if ((e as Error).message === 'unknown CNI_COMMAND: VERSION') {
        return { cniVersion: CURRENT_VERSION, supportedVersions: ['0.1.0'] };
      }
      throw e;
    }
    return decodePluginInfo(out);
  }

  /**
   * Check that every plugin binary exists and supports the list's version; returns the union
   * of the enabled capabilities (first-seen order). All failures are reported together as
   * Go prints a slice of errors: `[err1 err2]`.
   */
  async validateNetworkList(list: NetworkConfigList, o?: CallOptions): Promise<string[]> {
    const signal = this.#signal(o);
    const caps = new Set<string>();
    const errs: Error[] = [];
    for (const net of list.plugins) {
      try {
        await this.#validatePlugin(net.network.type, list.cniVersion, signal);
      } catch (e) {
        errs.push(e as Error);
      }
      for (const [c, on] of Object.entries(net.network.capabilities ?? {})) if (on) caps.add(c);
    }
    if (errs.length > 0) {
      const err = new Error(`[${errs.map((e) => e.message).join(' ')}]`, { cause: errs[0] });
      (err as Error & { errors?: Error[] }).errors = errs;
      throw err;
    }
    return [...caps];
  }

  async validateNetwork(net: NetworkConfig, o?: CallOptions): Promise<string[]> {
    const caps = Object.entries(net.network.capabilities ?? {})
      .filter(([, on]) => on)
      .map(([c]) => c);
    await this.#validatePlugin(net.network.type, net.network.cniVersion, this.#signal(o));
    return caps;
  }

  /** The plugin's VERSION answer (a plugin that does not know VERSION supports only 0.1.0). */
  async getVersionInfo(type: string, o?: CallOptions): Promise<PluginInfo> {
    const file = this.#find(type);
    return this.#versionInfo(file, this.#signal(o));
  }
}
