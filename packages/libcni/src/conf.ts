// Loading network configurations (cni-reference §2.1): conflists, legacy single-plugin .conf /
// .json files, plugins in the sibling `<dir>/<network>/` folder, version negotiation.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CURRENT_VERSION, compareVersions, getKey } from '@cni/skel';
import { NoConfigsFoundError, NotFoundError, wrapError } from './errors.js';
import { goDynType, goFsError, goQuote, jsonKind, marshalSorted, parseGoJSON, parseGoMap } from './json.js';

/** A plugin's configuration object (Go's types.PluginConf): typed common keys plus everything. */
export interface PluginConf {
  cniVersion: string;
  name: string;
  type: string;
  capabilities?: Record<string, boolean>;
  /** the whole parsed object */
  raw: Record<string, unknown>;
}

/** One plugin configuration and the bytes it was parsed from (Go's PluginConfig/NetworkConfig). */
export interface NetworkConfig {
  network: PluginConf;
  bytes: Buffer;
}

/** A network configuration list (Go's NetworkConfigList). */
export interface NetworkConfigList {
  name: string;
  /** the negotiated version (highest usable of `cniVersion` and `cniVersions`) */
  cniVersion: string;
  /** the `cniVersions` entries this library accepts (those not newer than 1.1.0), as given */
  cniVersions?: string[];
  disableCheck: boolean;
  disableGC: boolean;
  loadOnlyInlinedPlugins: boolean;
  plugins: NetworkConfig[];
  /** the raw bytes of the whole list; stored in the result cache */
  bytes: Buffer;
}

const toBuffer = (b: Buffer | string): Buffer => (typeof b === 'string' ? Buffer.from(b) : b);

function typeErr(field: string, goType: string, v: unknown): Error {
  return new Error(`json: cannot unmarshal ${jsonKind(v)} into Go struct field ${field} of type ${goType}`);
}

function optStr(o: Record<string, unknown>, key: string, field: string): string {
  const v = getKey(o, key);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw typeErr(field, 'string', v);
  return v;
}

/** Decode into Go's types.PluginConf: the typed fields must have their Go types. */
function decodePluginConf(bytes: Buffer): PluginConf {
  const v = parseGoJSON(bytes);
  if (v !== null && (typeof v !== 'object' || Array.isArray(v))) {
    throw new Error(`json: cannot unmarshal ${jsonKind(v)} into Go value of type types.PluginConf`);
  }
  const raw = (v ?? {}) as Record<string, unknown>;
  const conf: PluginConf = {
    cniVersion: optStr(raw, 'cniVersion', 'PluginConf.cniVersion'),
    name: optStr(raw, 'name', 'PluginConf.name'),
    type: optStr(raw, 'type', 'PluginConf.type'),
    raw,
  };
  const caps = getKey(raw, 'capabilities');
  if (caps !== undefined && caps !== null) {
    if (typeof caps !== 'object' || Array.isArray(caps)) {
      throw typeErr('PluginConf.capabilities', 'map[string]bool', caps);
    }
    const out: Record<string, boolean> = {};
    for (const [k, b] of Object.entries(caps as Record<string, unknown>)) {
      if (b === null) out[k] = false;
      else if (typeof b !== 'boolean') throw typeErr('PluginConf.capabilities', 'bool', b);
      else out[k] = b;
    }
    conf.capabilities = out;
  }
  const ipam = getKey(raw, 'ipam');
  if (ipam !== undefined && ipam !== null) {
    if (typeof ipam !== 'object' || Array.isArray(ipam)) throw typeErr('PluginConf.ipam', 'types.IPAM', ipam);
    optStr(ipam as Record<string, unknown>, 'type', 'PluginConf.ipam.type');
  }
  const dns = getKey(raw, 'dns');
  if (dns !== undefined && dns !== null) {
    if (typeof dns !== 'object' || Array.isArray(dns)) throw typeErr('PluginConf.dns', 'types.DNS', dns);
    const d = dns as Record<string, unknown>;
    optStr(d, 'domain', 'PluginConf.dns.domain');
    for (const k of ['nameservers', 'search', 'options']) {
      const l = getKey(d, k);
      if (l === undefined || l === null) continue;
      if (!Array.isArray(l)) throw typeErr(`PluginConf.dns.${k}`, '[]string', l);
      for (const x of l)
        if (typeof x !== 'string' && x !== null) throw typeErr(`PluginConf.dns.${k}`, 'string', x);
    }
  }
  const prev = getKey(raw, 'prevResult');
  if (prev !== undefined && prev !== null && (typeof prev !== 'object' || Array.isArray(prev))) {
    throw typeErr('PluginConf.prevResult', 'map[string]interface {}', prev);
  }
  return conf;
}

/**
 * A single plugin configuration (Go's NetworkPluginConfFromBytes / ConfFromBytes): a JSON
 * object with a non-empty `type`.
 */
export function confFromBytes(b: Buffer | string): NetworkConfig {
  const bytes = toBuffer(b);
  let network: PluginConf;
  try {
    network = decodePluginConf(bytes);
  } catch (e) {
    throw wrapError('error parsing configuration', e);
  }
  if (network.type === '') throw new Error("error parsing configuration: missing 'type'");
  return { network, bytes };
}

function readFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`error reading ${path}: ${goFsError('open', path, e)}`, { cause: e });
  }
}

/** A parse error of a file: the Go message, prefixed with the file's path. */
function fileError(path: string, e: unknown): Error {
  return wrapError(path, e);
}

/** A single plugin configuration file (.conf/.json, Go's ConfFromFile). */
export function confFromFile(path: string): NetworkConfig {
  const bytes = readFile(path);
  try {
    return confFromBytes(bytes);
  } catch (e) {
    throw fileError(path, e);
  }
}

/** Go's filepath.Ext: from the last dot of the last path element, or ''. */
function goExt(name: string): string {
  const i = name.lastIndexOf('.');
  return i >= 0 ? name.slice(i) : '';
}

/**
 * The files of `dir` (not recursive, directories skipped) whose extension is one of `exts`
 * (exactly, with the dot), in file-name order. A missing directory gives [].
 */
export function confFiles(dir: string, exts: string[]): string[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    throw new Error(code === 'ENOTDIR' ? `readdirent ${dir}: not a directory` : goFsError('open', dir, e), {
      cause: e,
    });
  }
  const names = entries
    .filter((d) => !d.isDirectory())
    .map((d) => d.name)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const out: string[] = [];
  for (const n of names) {
    const ext = goExt(n);
    for (const want of exts) if (ext === want) out.push(join(dir, n));
  }
  return out;
}

function listErr(msg: string): Error {
  return new Error(`error parsing configuration list: ${msg}`);
}

function versionGreater(a: string, b: string): boolean {
  return compareVersions(a, b) > 0;
}

/**
 * Parse a network configuration list (Go's NetworkConfFromBytes). `plugins` may be absent
 * (then the list has no plugins; networkConfFromFile adds those of the sibling folder).
 */
export function networkConfFromBytes(b: Buffer | string): NetworkConfigList {
  const bytes = toBuffer(b);
  let raw: Record<string, unknown>;
  try {
    raw = parseGoMap(bytes);
  } catch (e) {
    throw wrapError('error parsing configuration list', e);
  }
  if (!Object.hasOwn(raw, 'name')) throw listErr('no name');
  const name = raw.name;
  if (typeof name !== 'string') throw listErr(`invalid name type ${goDynType(name)}`);

  let cniVersion = '';
  if (Object.hasOwn(raw, 'cniVersion')) {
    const v = raw.cniVersion;
    if (typeof v !== 'string') throw listErr(`invalid cniVersion type ${goDynType(v)}`);
    cniVersion = v;
  }

  let cniVersions: string[] | undefined;
  if (Object.hasOwn(raw, 'cniVersions')) {
    const rvs = raw.cniVersions;
    // Go prints the type of its (nil) target slice here, whatever the value was.
    if (!Array.isArray(rvs)) throw listErr('invalid type for cniVersions: []interface {}');
    const vs: string[] = [];
    rvs.forEach((rv, i) => {
      if (typeof rv !== 'string') throw listErr(`invalid type for cniVersions index ${i}: ${goDynType(rv)}`);
      let gt: boolean;
      try {
        gt = versionGreater(rv, CURRENT_VERSION);
      } catch (e) {
        throw listErr(`invalid cniVersions entry ${rv} at index ${i}: ${(e as Error).message}`);
      }
      if (!gt) vs.push(rv);
    });
    cniVersions = [...vs];
    if (cniVersion !== '') {
      let gt: boolean;
      try {
        gt = versionGreater(cniVersion, CURRENT_VERSION);
      } catch (e) {
        throw listErr(`invalid cniVersion ${cniVersion}: ${(e as Error).message}`);
      }
      if (!gt) vs.push(cniVersion);
    }
    vs.sort((x, y) => (x === y ? 0 : versionGreater(x, y) ? 1 : -1));
    if (vs.length > 0) cniVersion = vs[vs.length - 1] as string;
  }

  const readBool = (key: string): boolean => {
    if (!Object.hasOwn(raw, key)) return false;
    const v = raw[key];
    if (typeof v === 'boolean') return v;
    if (typeof v !== 'string') throw listErr(`invalid type ${goDynType(v)} for ${key}`);
    const s = v.toLowerCase();
    if (s === 'false') return false;
    if (s === 'true') return true;
    throw listErr(`invalid value ${goQuote(s)} for ${key}`);
  };
  const disableCheck = readBool('disableCheck');
  const disableGC = readBool('disableGC');
  const loadOnlyInlinedPlugins = readBool('loadOnlyInlinedPlugins');

  const list: NetworkConfigList = {
    name,
    cniVersion,
    disableCheck,
    disableGC,
    loadOnlyInlinedPlugins,
    plugins: [],
    bytes,
  };
  if (cniVersions !== undefined) list.cniVersions = cniVersions;

  if (!Object.hasOwn(raw, 'plugins')) {
    if (loadOnlyInlinedPlugins) throw listErr("`loadOnlyInlinedPlugins` is true, and no 'plugins' key");
    return list;
  }
  const plugins = raw.plugins;
  if (!Array.isArray(plugins)) throw listErr(`invalid 'plugins' type ${goDynType(plugins)}`);
  if (plugins.length === 0) throw listErr('no plugins in list');
  plugins.forEach((p, i) => {
    // Go re-marshals each entry (a map: sorted keys).
    const pb = Buffer.from(marshalSorted(p));
    try {
      list.plugins.push(confFromBytes(pb));
    } catch (e) {
      throw wrapError(`failed to parse plugin config ${i}`, e);
    }
  });
  return list;
}

/** The plugin configurations in `<confDir>/<network>/*.conf` (Go's NetworkPluginConfsFromFiles). */
export function networkPluginConfsFromFiles(confDir: string, network: string): NetworkConfig[] {
  const dir = join(confDir, network);
  let files: string[];
  try {
    files = confFiles(dir, ['.conf']);
  } catch (e) {
    throw wrapError(`failed to read plugin config files in ${dir}`, e);
  }
  return files.map((f) => {
    const bytes = readFile(f);
    try {
      return confFromBytes(bytes);
    } catch (e) {
      throw fileError(f, e);
    }
  });
}

/**
 * Load a conflist file (Go's NetworkConfFromFile): unless `loadOnlyInlinedPlugins`, the plugin
 * files of the sibling folder `<dir>/<network name>/*.conf` follow the inlined plugins. A parse
 * error names the file (Go's text follows it).
 */
export function networkConfFromFile(path: string): NetworkConfigList {
  const bytes = readFile(path);
  let list: NetworkConfigList;
  try {
    list = networkConfFromBytes(bytes);
  } catch (e) {
    throw fileError(path, e);
  }
  if (!list.loadOnlyInlinedPlugins) {
    list.plugins.push(...networkPluginConfsFromFiles(dirname(path), list.name));
  }
  if (list.plugins.length === 0) throw new Error('no plugin configs found');
  return list;
}

/** Up-convert a single plugin config to a one-plugin list (Go's ConfListFromConf). */
export function confListFromConf(c: NetworkConfig): NetworkConfigList {
  const raw = parseGoMap(c.bytes);
  const b = marshalSorted({ name: c.network.name, cniVersion: c.network.cniVersion, plugins: [raw] });
  return networkConfFromBytes(b);
}

/** The first `.conf`/`.json` file (sorted) whose `name` matches (Go's LoadConf). */
export function loadConf(dir: string, name: string): NetworkConfig {
  const files = confFiles(dir, ['.conf', '.json']);
  if (files.length === 0) throw new NoConfigsFoundError(dir);
  for (const f of files) {
    const c = confFromFile(f);
    if (c.network.name === name) return c;
  }
  throw new NotFoundError(dir, name);
}

/**
 * The network `name` from `dir` (Go's LoadNetworkConf/LoadConfList): every `*.conflist` in name
 * order is parsed (any parse error aborts) and the first with that name wins; otherwise the
 * first `.conf`/`.json` with that name, up-converted to a list.
 */
export function loadNetworkConf(dir: string, name: string): NetworkConfigList {
  const files = confFiles(dir, ['.conflist']);
  for (const f of files) {
    const list = networkConfFromFile(f);
    if (list.name === name) return list;
  }
  let single: NetworkConfig;
  try {
    single = loadConf(dir, name);
  } catch (e) {
    if (files.length > 0 && e instanceof NoConfigsFoundError) throw new NotFoundError(dir, name);
    throw e;
  }
  return confListFromConf(single);
}

/** Alias of loadNetworkConf (Go's LoadConfList). */
export const loadConfList = loadNetworkConf;
