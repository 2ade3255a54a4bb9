// `cnitool validate <file|network>`: everything wrong with a network configuration at once,
// each finding named by its JSON path ($.plugins[1].ipam.type), plus what only the machine can
// tell: plugin binaries missing from CNI_PATH, unknown plugin types, spec versions a plugin does
// not support (asked with VERSION).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import {
  CURRENT_VERSION,
  compareVersions,
  findInPath,
  isSpecVersion,
  parseVersion,
  SPEC_VERSIONS,
} from '@cni/skel';
import { COMMON_KEYS, checkKeys, IPAM_KEYS, PLUGIN_KEYS } from './keys.js';

export type Level = 'error' | 'warning';
export interface Finding {
  level: Level;
  /** JSON path, prefixed by a file name when the finding is in a sibling plugin file. */
  path: string;
  message: string;
}

export interface PluginSummary {
  path: string;
  type: string;
  ipamType?: string;
  binary?: string;
  ipamBinary?: string;
  supportedVersions?: string[];
}

export interface ValidateReport {
  source: string;
  kind: 'conflist' | 'conf';
  name?: string;
  /** The version libcni would use for the list (cniVersion / highest usable of cniVersions). */
  cniVersion?: string;
  plugins: PluginSummary[];
  capabilities: string[];
  findings: Finding[];
  valid: boolean;
}

/** Asks a plugin binary which spec versions it supports (VERSION). */
export type VersionProbe = (type: string, paths: string[]) => Promise<string[]>;

export interface ValidateOptions {
  netDir: string;
  paths: string[];
  probe?: VersionProbe;
  cwd?: string;
}

/** The plugins of containernetworking/plugins (and the removed flannel meta plugin). */
export const REFERENCE_PLUGINS = [
  'bridge',
  'dummy',
  'host-device',
  'ipvlan',
  'loopback',
  'macvlan',
  'ptp',
  'tap',
  'vlan',
  'win-bridge',
  'win-overlay',
  'dhcp',
  'host-local',
  'static',
  'bandwidth',
  'firewall',
  'portmap',
  'sbr',
  'tuning',
  'vrf',
  'flannel',
];

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const RESERVED_KEYS = ['runtimeConfig', 'args'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}
const got = (v: unknown) => `got ${typeName(v)} ${JSON.stringify(v)}`;

/** A JSON path step: `.key`, or `["odd key"]` when the key is not an identifier. */
export function pathKey(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

/** Line and column (1-based) of a character offset. */
function lineCol(text: string, pos: number): [number, number] {
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return [line, col];
}

/** JSON.parse with the position of a syntax error as line/column. */
export function parseJSONText(text: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    const msg = (e as Error).message;
    const m = /at position (\d+)/.exec(msg);
    const pos = m ? Number(m[1]) : text.length;
    const [line, col] = lineCol(text, pos);
    const short = msg.replace(/\s*\(line \d+ column \d+\)/, '').replace(/ in JSON at position \d+/, '');
    return { error: `invalid JSON at line ${line}, column ${col}: ${short}` };
  }
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0] as number;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j] as number;
      d[j] = Math.min((d[j] as number) + 1, (d[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length] as number;
}

export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const dd = distance(name.toLowerCase(), c.toLowerCase());
    if (dd < bestD) {
      bestD = dd;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** The executables in the plugin directories (for suggestions). */
function pluginsOnPath(paths: string[]): string[] {
  const names = new Set<string>();
  for (const dir of paths) {
    try {
      for (const f of readdirSync(dir, { withFileTypes: true })) if (!f.isDirectory()) names.add(f.name);
    } catch {
      // missing directory: nothing there
    }
  }
  return [...names];
}

/** A boolean as libcni reads it: true/false, or the strings "true"/"false" (any case). */
function checkBool(o: Obj, key: string, base: string, out: Finding[]): boolean {
  if (!(key in o)) return false;
  const v = o[key];
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && ['true', 'false'].includes(v.toLowerCase())) return v.toLowerCase() === 'true';
  out.push({ level: 'error', path: pathKey(base, key), message: `must be a boolean, ${got(v)}` });
  return false;
}

function checkVersionString(v: string, path: string, out: Finding[]): boolean {
  try {
    parseVersion(v);
  } catch (e) {
    out.push({
      level: 'error',
      path,
      message: `invalid version ${JSON.stringify(v)}: ${(e as Error).message}`,
    });
    return false;
  }
  return true;
}

/** The list-level keys; returns the version libcni would use. */
function checkListKeys(o: Obj, out: Finding[]): { name?: string; version?: string } {
  const res: { name?: string; version?: string } = {};
  if (!('name' in o)) out.push({ level: 'error', path: '$.name', message: 'required: the network name' });
  else if (typeof o.name !== 'string')
    out.push({ level: 'error', path: '$.name', message: `must be a string, ${got(o.name)}` });
  else {
    res.name = o.name;
    if (!NAME_RE.test(o.name))
      out.push({
        level: 'error',
        path: '$.name',
        message: `${JSON.stringify(o.name)} is not a valid network name: a letter or digit, then letters, digits, '_', '.', '-'`,
      });
  }
  let version: string | undefined;
  if (!('cniVersion' in o)) {
    if (!('cniVersions' in o))
      out.push({ level: 'warning', path: '$.cniVersion', message: 'missing: plugins are told 0.1.0' });
  } else if (typeof o.cniVersion !== 'string') {
    out.push({ level: 'error', path: '$.cniVersion', message: `must be a string, ${got(o.cniVersion)}` });
  } else if (checkVersionString(o.cniVersion, '$.cniVersion', out)) {
    version = o.cniVersion;
    if (!isSpecVersion(o.cniVersion))
      out.push({
        level: 'error',
        path: '$.cniVersion',
        message: `unsupported version ${JSON.stringify(o.cniVersion)}: spec versions are ${SPEC_VERSIONS.join(', ')}`,
      });
  }
  if ('cniVersions' in o) {
    const vs = o.cniVersions;
    if (!Array.isArray(vs)) {
      out.push({ level: 'error', path: '$.cniVersions', message: `must be an array of strings, ${got(vs)}` });
    } else {
      const usable: string[] = [];
      vs.forEach((v, i) => {
        const p = pathKey('$.cniVersions', i);
        if (typeof v !== 'string')
          out.push({ level: 'error', path: p, message: `must be a string, ${got(v)}` });
        else if (checkVersionString(v, p, out)) {
          if (compareVersions(v, CURRENT_VERSION) > 0)
            out.push({
              level: 'warning',
              path: p,
              message: `${v} is newer than ${CURRENT_VERSION}: ignored`,
            });
          else {
            usable.push(v);
            if (!isSpecVersion(v))
              out.push({ level: 'error', path: p, message: `unknown spec version ${JSON.stringify(v)}` });
          }
        }
      });
      if (version !== undefined && compareVersions(version, CURRENT_VERSION) <= 0) usable.push(version);
      usable.sort(compareVersions);
      if (usable.length > 0) version = usable[usable.length - 1];
    }
  }
  if (version !== undefined) res.version = version;
  return res;
}

/** One plugin object at `base` (e.g. `$.plugins[2]`). */
function checkPlugin(p: unknown, base: string, out: Finding[]): PluginSummary | undefined {
  if (!isObj(p)) {
    out.push({ level: 'error', path: base, message: `a plugin must be an object, ${got(p)}` });
    return undefined;
  }
  let type = '';
  const tp = pathKey(base, 'type');
  if (!('type' in p) || p.type === '')
    out.push({ level: 'error', path: tp, message: "required: missing 'type'" });
  else if (typeof p.type !== 'string')
    out.push({ level: 'error', path: tp, message: `must be a string, ${got(p.type)}` });
  else if (/[/\\]/.test(p.type))
    out.push({
      level: 'error',
      path: tp,
      message: `${JSON.stringify(p.type)}: a plugin type is a file name, no '/' or '\\'`,
    });
  else type = p.type;
  const summary: PluginSummary = { path: base, type };
  if ('capabilities' in p) {
    const c = p.capabilities;
    const cp = pathKey(base, 'capabilities');
    if (!isObj(c))
      out.push({ level: 'error', path: cp, message: `must be an object of booleans, ${got(c)}` });
    else
      for (const [k, v] of Object.entries(c))
        if (typeof v !== 'boolean')
          out.push({ level: 'error', path: pathKey(cp, k), message: `must be a boolean, ${got(v)}` });
  }
  if ('ipam' in p) {
    const ipam = p.ipam;
    const ip = pathKey(base, 'ipam');
    if (!isObj(ipam)) out.push({ level: 'error', path: ip, message: `must be an object, ${got(ipam)}` });
    else if (!('type' in ipam) || ipam.type === '')
      out.push({ level: 'error', path: pathKey(ip, 'type'), message: 'required: the IPAM plugin type' });
    else if (typeof ipam.type !== 'string')
      out.push({ level: 'error', path: pathKey(ip, 'type'), message: `must be a string, ${got(ipam.type)}` });
    else if (/[/\\]/.test(ipam.type))
      out.push({
        level: 'error',
        path: pathKey(ip, 'type'),
        message: `${JSON.stringify(ipam.type)}: no '/' or '\\'`,
      });
    else summary.ipamType = ipam.type;
  }
  if ('dns' in p) {
    const dns = p.dns;
    const dp = pathKey(base, 'dns');
    if (!isObj(dns)) out.push({ level: 'error', path: dp, message: `must be an object, ${got(dns)}` });
    else {
      if ('domain' in dns && typeof dns.domain !== 'string')
        out.push({
          level: 'error',
          path: pathKey(dp, 'domain'),
          message: `must be a string, ${got(dns.domain)}`,
        });
      for (const k of ['nameservers', 'search', 'options']) {
        if (!(k in dns)) continue;
        const v = dns[k];
        if (!Array.isArray(v))
          out.push({
            level: 'error',
            path: pathKey(dp, k),
            message: `must be an array of strings, ${got(v)}`,
          });
        else
          v.forEach((x, i) => {
            if (typeof x !== 'string')
              out.push({
                level: 'error',
                path: pathKey(pathKey(dp, k), i),
                message: `must be a string, ${got(x)}`,
              });
          });
      }
    }
  }
  if ('ipMasq' in p && typeof p.ipMasq !== 'boolean')
    out.push({
      level: 'error',
      path: pathKey(base, 'ipMasq'),
      message: `must be a boolean, ${got(p.ipMasq)}`,
    });
  for (const k of Object.keys(p)) {
    if (RESERVED_KEYS.includes(k) || k.startsWith('cni.dev/'))
      out.push({
        level: 'warning',
        path: pathKey(base, k),
        message:
          'reserved: the runtime generates this key; a value in the file is overwritten or confuses plugins',
      });
  }
  // The reference plugins' own keys: typos (ignored by the plugin) and wrong types (ADD fails).
  const keys = PLUGIN_KEYS[type];
  if (keys !== undefined) {
    for (const f of checkKeys(`the ${type} plugin`, p, keys, COMMON_KEYS, (k, c) => suggest(k, c)))
      out.push({ level: f.level, path: pathKey(base, f.key), message: f.message });
  }
  const ipamKeys = summary.ipamType !== undefined ? IPAM_KEYS[summary.ipamType] : undefined;
  if (ipamKeys !== undefined && isObj(p.ipam)) {
    for (const f of checkKeys(`the ${summary.ipamType} IPAM plugin`, p.ipam, ipamKeys, ['type'], (k, c) =>
      suggest(k, c),
    ))
      out.push({ level: f.level, path: pathKey(pathKey(base, 'ipam'), f.key), message: f.message });
  }
  return summary;
}

/** Static checks of a parsed configuration (no file system except the sibling plugin folder). */
export function checkConfig(
  value: unknown,
  kind: 'conflist' | 'conf',
  siblingDir?: string,
): {
  findings: Finding[];
  name?: string;
  cniVersion?: string;
  plugins: PluginSummary[];
  capabilities: string[];
} {
  const findings: Finding[] = [];
  const plugins: PluginSummary[] = [];
  const caps = new Set<string>();
  const addCaps = (p: unknown) => {
    if (isObj(p) && isObj(p.capabilities))
      for (const [k, v] of Object.entries(p.capabilities)) if (v === true) caps.add(k);
  };
  if (!isObj(value)) {
    findings.push({
      level: 'error',
      path: '$',
      message: `the configuration must be a JSON object, ${got(value)}`,
    });
    return { findings, plugins, capabilities: [] };
  }
  const res: {
    findings: Finding[];
    name?: string;
    cniVersion?: string;
    plugins: PluginSummary[];
    capabilities: string[];
  } = { findings, plugins, capabilities: [] };
  if (kind === 'conf') {
    findings.push({
      level: 'warning',
      path: '$',
      message: 'a single-plugin .conf is deprecated (removed from the spec in 1.0.0): write a .conflist',
    });
    const { name, version } = checkListKeys(value, findings);
    if (name !== undefined) res.name = name;
    if (version !== undefined) res.cniVersion = version;
    const s = checkPlugin(value, '$', findings);
    if (s) plugins.push(s);
    addCaps(value);
    res.capabilities = [...caps];
    return res;
  }
  const { name, version } = checkListKeys(value, findings);
  if (name !== undefined) res.name = name;
  if (version !== undefined) res.cniVersion = version;
  checkBool(value, 'disableCheck', '$', findings);
  checkBool(value, 'disableGC', '$', findings);
  const onlyInlined = checkBool(value, 'loadOnlyInlinedPlugins', '$', findings);
  if (!('plugins' in value)) {
    if (onlyInlined)
      findings.push({
        level: 'error',
        path: '$.plugins',
        message: "required: `loadOnlyInlinedPlugins` is true, and no 'plugins' key",
      });
  } else if (!Array.isArray(value.plugins)) {
    findings.push({
      level: 'error',
      path: '$.plugins',
      message: `must be an array of plugin objects, ${got(value.plugins)}`,
    });
  } else if (value.plugins.length === 0) {
    findings.push({ level: 'error', path: '$.plugins', message: 'no plugins in list' });
  } else {
    value.plugins.forEach((p, i) => {
      const base = pathKey('$.plugins', i);
      const s = checkPlugin(p, base, findings);
      if (s) plugins.push(s);
      addCaps(p);
      if (isObj(p))
        for (const k of ['name', 'cniVersion'])
          if (k in p)
            findings.push({
              level: 'warning',
              path: pathKey(base, k),
              message: `ignored: the list's ${k} is what each plugin receives`,
            });
    });
  }
  // Plugins in <dir>/<name>/*.conf are appended unless loadOnlyInlinedPlugins.
  if (!onlyInlined && siblingDir !== undefined && name !== undefined) {
    const dir = join(siblingDir, name);
    let files: string[] = [];
    try {
      files = readdirSync(dir, { withFileTypes: true })
        .filter((f) => !f.isDirectory() && extname(f.name) === '.conf')
        .map((f) => f.name)
        .sort();
    } catch {
      // no sibling folder
    }
    for (const f of files) {
      const label = `${join(name, f)}: $`;
      const parsed = parseJSONText(readFileSync(join(dir, f), 'utf8'));
      if (parsed.error !== undefined) {
        findings.push({ level: 'error', path: label, message: parsed.error });
        continue;
      }
      const s = checkPlugin(parsed.value, label, findings);
      if (s) plugins.push(s);
      addCaps(parsed.value);
    }
  }
  if (plugins.length === 0 && !findings.some((f) => f.path.startsWith('$.plugins')))
    findings.push({ level: 'error', path: '$.plugins', message: 'no plugin configs found' });
  res.capabilities = [...caps];
  return res;
}

function confFilesIn(dir: string, exts: string[]): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((f) => !f.isDirectory() && exts.includes(extname(f.name)))
      .map((f) => join(dir, f.name))
      .sort();
  } catch {
    return [];
  }
}

/** The file of network `name` in `dir`, as libcni's LoadNetworkConf searches (.conflist, then .conf/.json). */
export function findNetworkFile(
  dir: string,
  name: string,
): { file?: string; kind?: 'conflist' | 'conf'; unreadable: { file: string; error: string }[] } {
  const unreadable: { file: string; error: string }[] = [];
  for (const [exts, kind] of [
    [['.conflist'], 'conflist'],
    [['.conf', '.json'], 'conf'],
  ] as const) {
    for (const file of confFilesIn(dir, [...exts])) {
      const parsed = parseJSONText(readFileSync(file, 'utf8'));
      if (parsed.error !== undefined) {
        unreadable.push({ file, error: parsed.error });
        continue;
      }
      if (isObj(parsed.value) && parsed.value.name === name) return { file, kind, unreadable };
    }
  }
  return { unreadable };
}

function looksLikeFile(target: string, cwd: string): boolean {
  if (target.includes('/')) return true;
  const p = join(cwd, target);
  return ['.conflist', '.conf', '.json'].includes(extname(target)) && existsSync(p) && statSync(p).isFile();
}

/** Validate a file or a network name; never throws for a bad configuration (findings instead). */
export async function validate(target: string, opts: ValidateOptions): Promise<ValidateReport> {
  const cwd = opts.cwd ?? process.cwd();
  let file: string;
  let kind: 'conflist' | 'conf';
  const pre: Finding[] = [];
  if (looksLikeFile(target, cwd)) {
    file = target.startsWith('/') ? target : join(cwd, target);
    if (!existsSync(file)) {
      return report(target, 'conflist', [{ level: 'error', path: '$', message: `no such file: ${file}` }]);
    }
    kind = extname(file) === '.conflist' ? 'conflist' : 'conf';
  } else {
    const found = findNetworkFile(opts.netDir, target);
    for (const u of found.unreadable)
      pre.push({
        level: 'warning',
        path: basename(u.file),
        message: `${u.error} — libcni stops at this file when it loads any network from ${opts.netDir}`,
      });
    if (found.file === undefined || found.kind === undefined) {
      const none = confFilesIn(opts.netDir, ['.conflist', '.conf', '.json']).length === 0;
      return report(target, 'conflist', [
        ...pre,
        {
          level: 'error',
          path: '$',
          message: none
            ? `no net configurations found in ${opts.netDir}`
            : `no net configuration with name "${target}" in ${opts.netDir}`,
        },
      ]);
    }
    file = found.file;
    kind = found.kind;
  }
  const text = readFileSync(file, 'utf8');
  const parsed = parseJSONText(text);
  if (parsed.error !== undefined) {
    return report(file, kind, [...pre, { level: 'error', path: '$', message: parsed.error }]);
  }
  // A .conf/.json holding a list (has "plugins") is read as a list by nobody: say so.
  if (kind === 'conf' && isObj(parsed.value) && 'plugins' in parsed.value) {
    pre.push({
      level: 'error',
      path: '$.plugins',
      message: `a ${extname(file)} file is one plugin: libcni ignores 'plugins' here; name the file .conflist`,
    });
  }
  const st = checkConfig(parsed.value, kind, kind === 'conflist' ? dirname(file) : undefined);
  const findings = [...pre, ...st.findings];
  const r = report(file, kind, findings);
  if (st.name !== undefined) r.name = st.name;
  if (st.cniVersion !== undefined) r.cniVersion = st.cniVersion;
  r.plugins = st.plugins;
  r.capabilities = st.capabilities;
  await checkBinaries(r, opts);
  r.valid = !r.findings.some((f) => f.level === 'error');
  return r;
}

function report(source: string, kind: 'conflist' | 'conf', findings: Finding[]): ValidateReport {
  return {
    source,
    kind,
    plugins: [],
    capabilities: [],
    findings,
    valid: !findings.some((f) => f.level === 'error'),
  };
}

/** Binaries in CNI_PATH and, through VERSION, the spec versions each one supports. */
async function checkBinaries(r: ValidateReport, opts: ValidateOptions): Promise<void> {
  const types = r.plugins.filter((p) => p.type !== '');
  if (types.length === 0) return;
  if (opts.paths.length === 0) {
    r.findings.push({ level: 'error', path: '$', message: 'CNI_PATH is not set: no plugin can be found' });
    return;
  }
  const onPath = pluginsOnPath(opts.paths);
  const candidates = new Set([...REFERENCE_PLUGINS, ...onPath]);
  const want = r.cniVersion ?? '0.1.0';
  const probed = new Map<string, Promise<string[]>>();
  const lookUp = async (
    type: string,
    path: string,
    found: Finding[],
  ): Promise<{ binary?: string; versions?: string[] }> => {
    let binary: string;
    try {
      binary = findInPath(type, opts.paths);
    } catch {
      const where = `CNI_PATH [${opts.paths.join(' ')}]`;
      if (REFERENCE_PLUGINS.includes(type)) {
        found.push({
          level: 'error',
          path,
          message: `missing binary: plugin "${type}" not found in ${where}`,
        });
      } else {
        const s = suggest(type, candidates);
        found.push({
          level: 'error',
          path,
          message: `unknown plugin type "${type}": not a reference plugin and not found in ${where}${s ? `; did you mean "${s}"?` : ''}`,
        });
      }
      return {};
    }
    if (!opts.probe) return { binary };
    let p = probed.get(type);
    if (!p) {
      p = opts.probe(type, opts.paths);
      probed.set(type, p);
    }
    try {
      const versions = await p;
      const isValidVersion = (() => {
        try {
          parseVersion(want);
          return true;
        } catch {
          return false;
        }
      })();
      if (isValidVersion && !versions.includes(want === '' ? '0.1.0' : want))
        found.push({
          level: 'error',
          path,
          message: `plugin ${type} does not support config version "${want}" (it supports ${versions.join(', ')})`,
        });
      return { binary, versions };
    } catch (e) {
      found.push({
        level: 'error',
        path,
        message: `plugin "${type}" (${binary}) failed VERSION: ${(e as Error).message}`,
      });
      return { binary };
    }
  };
  const perPlugin = await Promise.all(
    types.map(async (p) => {
      const found: Finding[] = [];
      const main = await lookUp(p.type, pathKey(p.path, 'type'), found);
      if (main.binary !== undefined) p.binary = main.binary;
      if (main.versions !== undefined) p.supportedVersions = main.versions;
      if (p.ipamType !== undefined) {
        const ipam = await lookUp(p.ipamType, pathKey(pathKey(p.path, 'ipam'), 'type'), found);
        if (ipam.binary !== undefined) p.ipamBinary = ipam.binary;
      }
      return found;
    }),
  );
  r.findings.push(...perPlugin.flat());
  r.findings.sort((a, b) => (a.level === b.level ? 0 : a.level === 'error' ? -1 : 1));
}

/** Human-readable report (stdout for valid, the same text goes to stderr for invalid). */
export function formatReport(r: ValidateReport): string {
  const lines: string[] = [];
  const head = r.name !== undefined ? `network "${r.name}"` : 'network (no name)';
  lines.push(
    `${r.source}: ${head}, ${r.kind}${r.cniVersion !== undefined ? `, cniVersion ${r.cniVersion}` : ''}`,
  );
  if (r.plugins.length > 0) {
    const ps = r.plugins.map((p) => `${p.type || '?'}${p.ipamType ? ` (ipam ${p.ipamType})` : ''}`);
    lines.push(`  plugins: ${ps.join(', ')}`);
  }
  if (r.capabilities.length > 0) lines.push(`  capabilities: ${r.capabilities.join(', ')}`);
  for (const f of r.findings) lines.push(`  ${f.level.padEnd(7)} ${f.path}: ${f.message}`);
  const errors = r.findings.filter((f) => f.level === 'error').length;
  const warnings = r.findings.length - errors;
  const counts = `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
  lines.push(r.valid ? `valid (${counts})` : `invalid (${counts})`);
  return `${lines.join('\n')}\n`;
}
