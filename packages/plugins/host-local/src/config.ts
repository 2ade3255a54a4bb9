// host-local configuration, read as the Go reference's LoadIPAMConfig does: case-insensitive
// keys, the legacy single range prepended to `ranges`, `runtimeConfig.ipRanges` prepended
// to both, requested IPs from CNI_ARGS `IP=`, `args.cni.ips` and `runtimeConfig.ips`.
import { formatCIDR, formatIP, type IP, parseCIDR, parseIP, parseIPOrCIDR } from '@cni/ip';
import {
  canonicalizeRangeSets,
  DEFAULT_DATA_DIR,
  type Range,
  RangeConfigError,
  type RangeConfig,
} from '@cni/ipam-store';
import { CniError, ErrCode, getKey, parseCniArgs } from '@cni/skel';

export interface Route {
  dst: string;
  gw?: string;
  mtu?: number;
  advmss?: number;
  priority?: number;
  table?: number;
  scope?: number;
}

export interface IPAMConfig {
  /** The network name (the store's directory). */
  name: string;
  cniVersion: string;
  ranges: Range[][];
  routes: Route[];
  dataDir: string;
  resolvConf: string;
  /** Requested addresses, in order, without duplicates. */
  requested: IP[];
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(msg: string): CniError {
  return new CniError(ErrCode.InvalidNetworkConfig, msg);
}

function optString(obj: Obj, key: string, where: string): string | undefined {
  const v = getKey(obj, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalid(`${where}${key}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function optObj(obj: Obj, key: string, where: string): Obj | undefined {
  const v = getKey(obj, key);
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) throw invalid(`${where}${key}: expected an object, got ${JSON.stringify(v)}`);
  return v;
}

function optArray(obj: Obj, key: string, where: string): unknown[] | undefined {
  const v = getKey(obj, key);
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw invalid(`${where}${key}: expected an array, got ${JSON.stringify(v)}`);
  return v;
}

function rangeConfig(v: unknown, where: string): RangeConfig {
  if (!isObj(v)) throw invalid(`${where}: expected an object with "subnet", got ${JSON.stringify(v)}`);
  const out: RangeConfig = {};
  for (const k of ['subnet', 'rangeStart', 'rangeEnd', 'gateway'] as const) {
    const s = optString(v, k, `${where}.`);
    if (s !== undefined) out[k] = s;
  }
  return out;
}

function rangeSets(v: unknown[], where: string): RangeConfig[][] {
  return v.map((set, i) => {
    if (!Array.isArray(set))
      throw invalid(`${where}[${i}]: expected an array of ranges, got ${JSON.stringify(set)}`);
    return set.map((r, j) => rangeConfig(r, `${where}[${i}][${j}]`));
  });
}

function requestedIP(text: unknown, where: string): IP {
  if (typeof text !== 'string')
    throw invalid(`${where}: expected an IP address string, got ${JSON.stringify(text)}`);
  const p = parseIPOrCIDR(text.trim());
  if (!p) throw invalid(`${where}: invalid IP address ${JSON.stringify(text)}`);
  return p.ip;
}

const INT_KEYS = ['mtu', 'advmss', 'priority', 'table', 'scope'] as const;

/** Routes as the reference's types.Route: `dst` CIDR (kept as written), `gw` IP, and integers. */
export function parseRoutes(v: unknown[] | undefined, where: string): Route[] {
  if (!v) return [];
  return v.map((r, i) => {
    const w = `${where}[${i}]`;
    if (!isObj(r)) throw invalid(`${w}: expected an object with "dst", got ${JSON.stringify(r)}`);
    const dstText = optString(r, 'dst', `${w}.`);
    const dst = dstText === undefined ? undefined : parseCIDR(dstText);
    if (!dst) throw invalid(`${w}.dst: invalid CIDR address ${JSON.stringify(dstText ?? null)}`);
    const route: Route = { dst: formatCIDR(dst) };
    const gwText = optString(r, 'gw', `${w}.`);
    if (gwText !== undefined && gwText !== '') {
      const gw = parseIP(gwText);
      if (!gw) throw invalid(`${w}.gw: invalid IP address ${JSON.stringify(gwText)}`);
      route.gw = formatIP(gw);
    }
    for (const k of INT_KEYS) {
      const n = getKey(r, k);
      if (n === undefined || n === null) continue;
      if (typeof n !== 'number' || !Number.isInteger(n))
        throw invalid(`${w}.${k}: expected an integer, got ${JSON.stringify(n)}`);
      route[k] = n;
    }
    return route;
  });
}

/** Numeric comparison of dotted versions (empty = 0.1.0). */
export function versionAtLeast(v: string, min: string): boolean {
  const parts = (s: string) => (s === '' ? '0.1.0' : s).split('.').map((x) => Number.parseInt(x, 10) || 0);
  const a = parts(v);
  const b = parts(min);
  for (let i = 0; i < 3; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/**
 * Load the host-local configuration from the parsed stdin and CNI_ARGS. Errors are
 * CniErrors (code 7) naming the key and value; range messages are the reference's.
 */
export function loadIPAMConfig(conf: Obj, envArgs: string): IPAMConfig {
  const ipam = optObj(conf, 'ipam', '');
  if (!ipam) throw invalid("IPAM config missing 'ipam' key");
  const name = optString(conf, 'name', '') ?? '';
  const cniVersion = optString(conf, 'cniVersion', '') ?? '';

  const requested: IP[] = [];
  if (envArgs) {
    const args = parseCniArgs(envArgs, ['IP']);
    const ipArg = args.IP;
    if (ipArg !== undefined && ipArg !== '') requested.push(requestedIP(ipArg, 'CNI_ARGS IP'));
  }
  const cniArgs = optObj(optObj(conf, 'args', '') ?? {}, 'cni', 'args.');
  const argIPs = cniArgs ? optArray(cniArgs, 'ips', 'args.cni.') : undefined;
  for (const [i, t] of (argIPs ?? []).entries()) requested.push(requestedIP(t, `args.cni.ips[${i}]`));
  const rc = optObj(conf, 'runtimeConfig', '') ?? {};
  const rcIPs = optArray(rc, 'ips', 'runtimeConfig.');
  for (const [i, t] of (rcIPs ?? []).entries()) requested.push(requestedIP(t, `runtimeConfig.ips[${i}]`));
  const seen = new Set<string>();
  const uniq = requested.filter((ip) => {
    const k = formatIP(ip);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });

  let sets: RangeConfig[][] = rangeSets(optArray(ipam, 'ranges', 'ipam.') ?? [], 'ipam.ranges');
  const legacy = rangeConfig(
    Object.fromEntries(
      ['subnet', 'rangeStart', 'rangeEnd', 'gateway']
        .map((k) => [k, getKey(ipam, k)])
        .filter(([, v]) => v != null),
    ),
    'ipam',
  );
  if (legacy.subnet) sets = [[legacy], ...sets];
  const rcRanges = optArray(rc, 'ipRanges', 'runtimeConfig.');
  if (rcRanges && rcRanges.length > 0) sets = [...rangeSets(rcRanges, 'runtimeConfig.ipRanges'), ...sets];

  let ranges: Range[][];
  try {
    ranges = canonicalizeRangeSets(sets);
  } catch (err) {
    if (err instanceof RangeConfigError) throw invalid(err.message);
    throw err;
  }
  let v4 = 0;
  let v6 = 0;
  for (const s of ranges) {
    if ((s[0] as Range).rangeStart.family === 4) v4++;
    else v6++;
  }
  if ((v4 > 1 || v6 > 1) && !versionAtLeast(cniVersion, '0.3.0')) {
    throw new CniError(
      ErrCode.IncompatibleCNIVersion,
      `CNI version ${cniVersion} does not support more than 1 address per family`,
    );
  }

  const dataDir = optString(ipam, 'dataDir', 'ipam.') || DEFAULT_DATA_DIR;
  const resolvConf = optString(ipam, 'resolvConf', 'ipam.') ?? '';
  const routes = parseRoutes(optArray(ipam, 'routes', 'ipam.'), 'ipam.routes');
  return { name, cniVersion, ranges, routes, dataDir, resolvConf, requested: uniq };
}
