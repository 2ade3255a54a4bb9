// static IPAM configuration, as the Go reference's LoadIPAMConfig: `ipam.addresses`,
// `ipam.routes`, `ipam.dns`; CNI_ARGS `IP=` (appended) and `GATEWAY=` (assigned to the
// addresses whose subnet holds it); `args.cni.ips` replaces the list, `runtimeConfig.ips`
// replaces it again.
import { containsIP, formatCIDR, formatIP, type IP, type IPNet, parseCIDR, parseIP } from '@cni/ip';
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

export interface DNS {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

export interface Address {
  address: IPNet;
  gateway?: IP;
}

export interface StaticConfig {
  name: string;
  cniVersion: string;
  addresses: Address[];
  routes: Route[];
  dns: DNS;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const invalid = (msg: string) => new CniError(ErrCode.InvalidNetworkConfig, msg);

function get<T>(obj: Obj, key: string, where: string, kind: 'string' | 'object' | 'array'): T | undefined {
  const v = getKey(obj, key);
  if (v === undefined || v === null) return undefined;
  const ok = kind === 'array' ? Array.isArray(v) : kind === 'object' ? isObj(v) : typeof v === kind;
  if (!ok)
    throw invalid(
      `${where}${key}: expected ${kind === 'array' ? 'an array' : `a ${kind}`}, got ${JSON.stringify(v)}`,
    );
  return v as T;
}

function stringList(obj: Obj, key: string, where: string): string[] | undefined {
  const v = get<unknown[]>(obj, key, where, 'array');
  if (!v) return undefined;
  return v.map((s, i) => {
    if (typeof s !== 'string')
      throw invalid(`${where}${key}[${i}]: expected a string, got ${JSON.stringify(s)}`);
    return s;
  });
}

function cidr(text: string, msg: (t: string) => string): IPNet {
  const n = parseCIDR(text);
  if (!n) throw invalid(msg(text));
  return n;
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

const INT_KEYS = ['mtu', 'advmss', 'priority', 'table', 'scope'] as const;

function parseRoutes(list: unknown[] | undefined): Route[] {
  if (!list) return [];
  return list.map((r, i) => {
    const w = `ipam.routes[${i}]`;
    if (!isObj(r)) throw invalid(`${w}: expected an object with "dst", got ${JSON.stringify(r)}`);
    const dstText = get<string>(r, 'dst', `${w}.`, 'string');
    const dst = dstText === undefined ? undefined : parseCIDR(dstText);
    if (!dst) throw invalid(`${w}.dst: invalid CIDR address ${JSON.stringify(dstText ?? null)}`);
    const route: Route = { dst: formatCIDR(dst) };
    const gwText = get<string>(r, 'gw', `${w}.`, 'string');
    if (gwText) {
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

function parseDNS(obj: Obj | undefined): DNS {
  if (!obj) return {};
  const dns: DNS = {};
  const ns = stringList(obj, 'nameservers', 'ipam.dns.');
  if (ns) dns.nameservers = ns;
  const domain = get<string>(obj, 'domain', 'ipam.dns.', 'string');
  if (domain) dns.domain = domain;
  const search = stringList(obj, 'search', 'ipam.dns.');
  if (search) dns.search = search;
  const options = stringList(obj, 'options', 'ipam.dns.');
  if (options) dns.options = options;
  return dns;
}

export function loadStaticConfig(conf: Obj, envArgs: string): StaticConfig {
  const ipam = get<Obj>(conf, 'ipam', '', 'object');
  if (!ipam) throw invalid("IPAM config missing 'ipam' key");
  const name = get<string>(conf, 'name', '', 'string') ?? '';
  const cniVersion = get<string>(conf, 'cniVersion', '', 'string') ?? '';

  let addresses: Address[] = (get<unknown[]>(ipam, 'addresses', 'ipam.', 'array') ?? []).map((a, i) => {
    const w = `ipam.addresses[${i}]`;
    if (!isObj(a)) throw invalid(`${w}: expected an object with "address", got ${JSON.stringify(a)}`);
    const text = get<string>(a, 'address', `${w}.`, 'string') ?? '';
    const address = cidr(text, (t) => `the 'address' field is expected to be in CIDR notation, got: '${t}'`);
    const out: Address = { address };
    const gwText = get<string>(a, 'gateway', `${w}.`, 'string');
    if (gwText) {
      const gw = parseIP(gwText);
      if (!gw) throw invalid(`${w}.gateway: invalid IP address ${JSON.stringify(gwText)}`);
      out.gateway = gw;
    }
    return out;
  });

  if (envArgs) {
    const args = parseCniArgs(envArgs, ['IP', 'GATEWAY']);
    const ipArg = args.IP ?? '';
    // GATEWAY= applies to the CNI_ARGS addresses only: in the reference, configured
    // addresses are not parsed yet when the gateways are matched.
    const fromArgs: Address[] = [];
    if (ipArg !== '') {
      for (const item of ipArg.split(',')) {
        const t = item.trim();
        fromArgs.push({
          address: cidr(t, (x) => `the 'ip' field is expected to be in CIDR notation, got: '${x}'`),
        });
      }
    }
    addresses.push(...fromArgs);
    const gwArg = args.GATEWAY ?? '';
    if (gwArg !== '') {
      for (const item of gwArg.split(',')) {
        const gw = parseIP(item.trim());
        if (!gw) throw invalid(`invalid gateway address: ${item}`);
        for (const a of fromArgs) if (containsIP(a.address, gw)) a.gateway = gw;
      }
    }
  }

  const fromList = (list: unknown[], key: string): Address[] =>
    list.map((t, i) => {
      if (typeof t !== 'string') throw invalid(`${key}[${i}]: expected a string, got ${JSON.stringify(t)}`);
      return { address: cidr(t, (x) => `an entry in the 'ips' field is NOT in CIDR notation, got: '${x}'`) };
    });
  const cniArgs = get<Obj>(get<Obj>(conf, 'args', '', 'object') ?? {}, 'cni', 'args.', 'object');
  const argIPs = cniArgs ? get<unknown[]>(cniArgs, 'ips', 'args.cni.', 'array') : undefined;
  if (argIPs && argIPs.length > 0) addresses = fromList(argIPs, 'args.cni.ips');
  const rcIPs = get<unknown[]>(
    get<Obj>(conf, 'runtimeConfig', '', 'object') ?? {},
    'ips',
    'runtimeConfig.',
    'array',
  );
  if (rcIPs && rcIPs.length > 0) addresses = fromList(rcIPs, 'runtimeConfig.ips');

  const v4 = addresses.filter((a) => a.address.ip.family === 4).length;
  const v6 = addresses.length - v4;
  if ((v4 > 1 || v6 > 1) && !versionAtLeast(cniVersion, '0.3.0')) {
    throw new CniError(
      ErrCode.IncompatibleCNIVersion,
      `CNI version ${cniVersion} does not support more than 1 address per family`,
    );
  }
  return {
    name,
    cniVersion,
    addresses,
    routes: parseRoutes(get<unknown[]>(ipam, 'routes', 'ipam.', 'array')),
    dns: parseDNS(get<Obj>(ipam, 'dns', 'ipam.', 'object')),
  };
}
