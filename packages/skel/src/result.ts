// Results of every spec version: parse any version's JSON into the one internal shape, and
// produce any version's JSON from it, following the Go reference converters (pkg/types).
import { CniError, ErrCode } from './errors.js';
import { goJSONParse } from './gojson.js';
import { getKey, goStringify, goTypeName, isPlainObject } from './json.js';
import { parseCIDR, parseIP } from './ipaddr.js';
import type { DNS, Interface, IPConfig, Result, Route } from './types.js';
import { CURRENT_VERSION, isSpecVersion } from './version.js';

const decodeErr = (path: string, want: string, v: unknown) =>
  new CniError(
    ErrCode.DecodingFailure,
    `failed to decode result: ${JSON.stringify(path)} must be ${want}, got ${goTypeName(v)} ${goStringify(v)}`,
  );

function optString(o: Record<string, unknown>, key: string, path: string): string | undefined {
  const v = getKey(o, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw decodeErr(`${path}${key}`, 'a string', v);
  return v;
}

function optInt(o: Record<string, unknown>, key: string, path: string): number | undefined {
  const v = getKey(o, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw decodeErr(`${path}${key}`, 'an integer', v);
  return v;
}

function optStrings(o: Record<string, unknown>, key: string, path: string): string[] | undefined {
  const v = getKey(o, key);
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw decodeErr(`${path}${key}`, 'an array of strings', v);
  }
  return [...(v as string[])];
}

function optArray(o: Record<string, unknown>, key: string, path: string): Record<string, unknown>[] {
  const v = getKey(o, key);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw decodeErr(`${path}${key}`, 'an array', v);
  return v.map((x, i) => {
    if (x === null) return {};
    if (!isPlainObject(x)) throw decodeErr(`${path}${key}[${i}]`, 'an object', x);
    return x;
  });
}

function optObject(
  o: Record<string, unknown>,
  key: string,
  path: string,
): Record<string, unknown> | undefined {
  const v = getKey(o, key);
  if (v === undefined || v === null) return undefined;
  if (!isPlainObject(v)) throw decodeErr(`${path}${key}`, 'an object', v);
  return v;
}

function cidr(o: Record<string, unknown>, key: string, path: string, required: boolean): string | undefined {
  const s = optString(o, key, path);
  if (s === undefined || (s === '' && !required)) {
    if (required) {
      throw new CniError(
        ErrCode.DecodingFailure,
        `failed to decode result: ${JSON.stringify(`${path}${key}`)} is missing`,
      );
    }
    return undefined;
  }
  const p = parseCIDR(s);
  if (!p) {
    throw new CniError(
      ErrCode.DecodingFailure,
      `failed to decode result: ${JSON.stringify(`${path}${key}`)}: invalid CIDR address: ${s}`,
    );
  }
  return p.text;
}

function ip(o: Record<string, unknown>, key: string, path: string): string | undefined {
  const s = optString(o, key, path);
  if (s === undefined || s === '') return undefined;
  const p = parseIP(s);
  if (!p) {
    throw new CniError(
      ErrCode.DecodingFailure,
      `failed to decode result: ${JSON.stringify(`${path}${key}`)}: invalid IP address: ${s}`,
    );
  }
  return p.text;
}

function parseDNS(o: Record<string, unknown>, path: string): DNS | undefined {
  const d = optObject(o, 'dns', path);
  if (!d) return undefined;
  const p = `${path}dns.`;
  const dns: DNS = {};
  const ns = optStrings(d, 'nameservers', p);
  const domain = optString(d, 'domain', p);
  const search = optStrings(d, 'search', p);
  const options = optStrings(d, 'options', p);
  if (ns?.length) dns.nameservers = ns;
  if (domain) dns.domain = domain;
  if (search?.length) dns.search = search;
  if (options?.length) dns.options = options;
  return isEmptyDNS(dns) ? undefined : dns;
}

function parseRoute(r: Record<string, unknown>, path: string): Route {
  const route: Route = { dst: cidr(r, 'dst', path, true) as string };
  const gw = ip(r, 'gw', path);
  if (gw !== undefined) route.gw = gw;
  const mtu = optInt(r, 'mtu', path);
  if (mtu) route.mtu = mtu;
  const advmss = optInt(r, 'advmss', path);
  if (advmss) route.advmss = advmss;
  const priority = optInt(r, 'priority', path);
  if (priority) route.priority = priority;
  const table = optInt(r, 'table', path);
  if (table !== undefined) route.table = table;
  const scope = optInt(r, 'scope', path);
  if (scope !== undefined) route.scope = scope;
  return route;
}

function parseIPConfig(c: Record<string, unknown>, path: string, addrKey: string): IPConfig {
  const ipc: IPConfig = { address: cidr(c, addrKey, path, true) as string };
  const idx = optInt(c, 'interface', path);
  if (idx !== undefined) ipc.interface = idx;
  const gw = ip(c, 'gateway', path);
  if (gw !== undefined) ipc.gateway = gw;
  return ipc;
}

function parseJSON(input: string | Buffer | object): unknown {
  if (typeof input === 'string' || Buffer.isBuffer(input)) {
    const text = typeof input === 'string' ? input : input.toString('utf8');
    try {
      return goJSONParse(text);
    } catch (e) {
      throw new CniError(ErrCode.DecodingFailure, `failed to decode result: ${(e as Error).message}`);
    }
  }
  return input;
}

/**
 * Parse a result of any spec version (JSON text, bytes or an already parsed object) into the
 * internal shape. A missing or empty `cniVersion` takes `defaultVersion` (0.1.0 when not given,
 * as in the spec); JSON `null` is an empty result.
 */
export function parseResult(input: string | Buffer | object, defaultVersion?: string): Result {
  let raw = parseJSON(input);
  if (raw === null) raw = {};
  if (!isPlainObject(raw)) throw decodeErr('', 'an object', raw);
  const obj = raw;
  const stated = optString(obj, 'cniVersion', '');
  const version = stated || defaultVersion || '0.1.0';
  if (!isSpecVersion(version)) {
    throw new CniError(
      ErrCode.IncompatibleCNIVersion,
      `unsupported CNI result version ${JSON.stringify(version)}`,
    );
  }
  const result: Result = { cniVersion: version };
  const ips: IPConfig[] = [];
  const routes: Route[] = [];
  if (version === '0.1.0' || version === '0.2.0') {
    // ip4 then ip6; routes are ip4's followed by ip6's (the 0.2 → 0.4 converter).
    for (const key of ['ip4', 'ip6']) {
      const c = optObject(obj, key, '');
      if (!c) continue;
      ips.push(parseIPConfig(c, `${key}.`, 'ip'));
      optArray(c, 'routes', `${key}.`).forEach((r, i) => {
        routes.push(parseRoute(r, `${key}.routes[${i}].`));
      });
    }
  } else {
    const v1 = version === '1.0.0' || version === '1.1.0';
    const ifaces = optArray(obj, 'interfaces', '').map((o, i) => {
      const p = `interfaces[${i}].`;
      const iface: Interface = { name: optString(o, 'name', p) ?? '' };
      const mac = optString(o, 'mac', p);
      if (mac) iface.mac = mac;
      const sandbox = optString(o, 'sandbox', p);
      if (v1) {
        const mtu = optInt(o, 'mtu', p);
        if (mtu) iface.mtu = mtu;
      }
      if (sandbox) iface.sandbox = sandbox;
      if (v1) {
        const socketPath = optString(o, 'socketPath', p);
        if (socketPath) iface.socketPath = socketPath;
        const pciID = optString(o, 'pciID', p);
        if (pciID) iface.pciID = pciID;
      }
      return iface;
    });
    if (ifaces.length) result.interfaces = ifaces;
    optArray(obj, 'ips', '').forEach((o, i) => {
      ips.push(parseIPConfig(o, `ips[${i}].`, 'address'));
    });
    optArray(obj, 'routes', '').forEach((o, i) => {
      routes.push(parseRoute(o, `routes[${i}].`));
    });
  }
  if (ips.length) result.ips = ips;
  if (routes.length) result.routes = routes;
  const dns = parseDNS(obj, '');
  if (dns) result.dns = dns;
  return result;
}

export function isEmptyDNS(d: DNS | undefined): boolean {
  return !d || (!d.nameservers?.length && !d.domain && !d.search?.length && !d.options?.length);
}

const familyOf = (cidrText: string): 4 | 6 => parseCIDR(cidrText)?.family ?? (cidrText.includes(':') ? 6 : 4);

// 0.x DNS: struct field order, every field omitempty, the object itself always present.
function dns0(d: DNS | undefined): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (d?.nameservers?.length) o.nameservers = [...d.nameservers];
  if (d?.domain) o.domain = d.domain;
  if (d?.search?.length) o.search = [...d.search];
  if (d?.options?.length) o.options = [...d.options];
  return o;
}

// Route in struct order (0.3.x/0.4.0 share Go's types.Route, extras included).
function route0(r: Route): Record<string, unknown> {
  const o: Record<string, unknown> = { dst: r.dst };
  if (r.gw) o.gw = r.gw;
  if (r.mtu) o.mtu = r.mtu;
  if (r.advmss) o.advmss = r.advmss;
  if (r.priority) o.priority = r.priority;
  if (r.table !== undefined) o.table = r.table;
  if (r.scope !== undefined) o.scope = r.scope;
  return o;
}

function to02(r: Result, version: string): Record<string, unknown> {
  let ip4: Record<string, unknown> | undefined;
  let ip6: Record<string, unknown> | undefined;
  for (const c of r.ips ?? []) {
    const fam = familyOf(c.address);
    const cfg: Record<string, unknown> = { ip: c.address };
    if (c.gateway) cfg.gateway = c.gateway;
    if (fam === 4 && !ip4) ip4 = cfg;
    else if (fam === 6 && !ip6) ip6 = cfg;
    if (ip4 && ip6) break;
  }
  if (!ip4 && !ip6) throw new CniError(ErrCode.Internal, 'cannot convert: no valid IP addresses');
  for (const rt of r.routes ?? []) {
    const target = familyOf(rt.dst) === 4 ? ip4 : ip6;
    if (!target) continue;
    const o: Record<string, unknown> = { dst: rt.dst };
    if (rt.gw) o.gw = rt.gw;
    const list = (target.routes as Record<string, unknown>[] | undefined) ?? [];
    list.push(o);
    target.routes = list;
  }
  // Go's 0.2.0 type also accepts version "" and then omits the (omitempty) cniVersion key.
  const out: Record<string, unknown> = version ? { cniVersion: version } : {};
  if (ip4) out.ip4 = ip4;
  if (ip6) out.ip6 = ip6;
  out.dns = dns0(r.dns);
  return out;
}

function to04(r: Result, version: string): Record<string, unknown> {
  const out: Record<string, unknown> = { cniVersion: version };
  if (r.interfaces?.length) {
    out.interfaces = r.interfaces.map((i) => {
      const o: Record<string, unknown> = { name: i.name };
      if (i.mac) o.mac = i.mac;
      if (i.sandbox) o.sandbox = i.sandbox;
      return o;
    });
  }
  if (r.ips?.length) {
    out.ips = r.ips.map((c) => {
      const o: Record<string, unknown> = { version: String(familyOf(c.address)) };
      if (c.interface !== undefined) o.interface = c.interface;
      o.address = c.address;
      if (c.gateway) o.gateway = c.gateway;
      return o;
    });
  }
  if (r.routes?.length) out.routes = r.routes.map(route0);
  out.dns = dns0(r.dns);
  return out;
}

// 1.x results are marshalled through a map in Go, so every object's keys come out sorted.
function to1x(r: Result, version: string): Record<string, unknown> {
  const out: Record<string, unknown> = { cniVersion: version };
  if (!isEmptyDNS(r.dns)) {
    const d = r.dns as DNS;
    const o: Record<string, unknown> = {};
    if (d.domain) o.domain = d.domain;
    if (d.nameservers?.length) o.nameservers = [...d.nameservers];
    if (d.options?.length) o.options = [...d.options];
    if (d.search?.length) o.search = [...d.search];
    out.dns = o;
  }
  if (r.interfaces?.length) {
    out.interfaces = r.interfaces.map((i) => {
      const o: Record<string, unknown> = {};
      if (i.mac) o.mac = i.mac;
      if (i.mtu) o.mtu = i.mtu;
      o.name = i.name;
      if (i.pciID) o.pciID = i.pciID;
      if (i.sandbox) o.sandbox = i.sandbox;
      if (i.socketPath) o.socketPath = i.socketPath;
      return o;
    });
  }
  if (r.ips?.length) {
    out.ips = r.ips.map((c) => {
      const o: Record<string, unknown> = { address: c.address };
      if (c.gateway) o.gateway = c.gateway;
      if (c.interface !== undefined) o.interface = c.interface;
      return o;
    });
  }
  if (r.routes?.length) {
    out.routes = r.routes.map((rt) => {
      const o: Record<string, unknown> = {};
      if (rt.advmss) o.advmss = rt.advmss;
      o.dst = rt.dst;
      if (rt.gw) o.gw = rt.gw;
      if (rt.mtu) o.mtu = rt.mtu;
      if (rt.priority) o.priority = rt.priority;
      if (rt.scope !== undefined) o.scope = rt.scope;
      if (rt.table !== undefined) o.table = rt.table;
      return o;
    });
  }
  return out;
}

/**
 * The JSON object of `result` in spec version `toVersion` (`''` means 0.1.0, printed without a
 * `cniVersion` key as Go does for a version-less config), with Go's field
 * order and omission rules. Converting to 0.1.0/0.2.0 without any address throws CniError 999
 * `cannot convert: no valid IP addresses`, as the Go plugins report it.
 */
export function convertResult(result: Result, toVersion: string): Record<string, unknown> {
  const v = toVersion === '' ? '0.1.0' : toVersion;
  if (!isSpecVersion(v)) {
    throw new CniError(
      ErrCode.IncompatibleCNIVersion,
      `no converter for CNI result version ${result.cniVersion || CURRENT_VERSION} to ${toVersion}`,
    );
  }
  switch (v) {
    case '0.1.0':
    case '0.2.0':
      return to02(result, toVersion);
    case '0.3.0':
    case '0.3.1':
    case '0.4.0':
      return to04(result, v);
    default:
      return to1x(result, v);
  }
}

/** `result` as spec version `version`: 4-space indented JSON, no trailing newline (Go's Print). */
export function formatResult(result: Result, version: string): string {
  return goStringify(convertResult(result, version), 4);
}
