// The delegate configuration flannel renders from its own config and subnet.env
// (flannel.md §4 steps 3–12, §8), and its serialization as Go's json.Marshal of a map.
import { getKey } from '@cni/skel';
import { ipNetString, ipString, parseCIDR, parseIP } from './cidr.js';
import type { FlannelConf, JSONObject } from './config.js';
import type { SubnetEnv } from './subnet-env.js';

/** An object whose keys are printed in insertion order (a Go struct), not sorted (a Go map). */
export class GoStruct {
  constructor(readonly fields: readonly (readonly [string, unknown])[]) {}
  toJSON(): JSONObject {
    return Object.fromEntries(this.fields);
  }
}

const byteCompare = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

const GO_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};
const goString = (s: string) => JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c] ?? c);

/**
 * Compact JSON like Go's json.Marshal of map[string]interface{}: map keys sorted by bytes at
 * every level, GoStruct fields in declaration order, <>& escaped.
 */
export function goMarshal(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return goString(v);
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(goMarshal).join(',')}]`;
  if (v instanceof GoStruct) {
    return `{${v.fields
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${goString(k)}:${goMarshal(x)}`)
      .join(',')}}`;
  }
  if (typeof v === 'object') {
    const keys = Object.keys(v).sort(byteCompare);
    return `{${keys.map((k) => `${goString(k)}:${goMarshal((v as JSONObject)[k])}`).join(',')}}`;
  }
  return 'null';
}

const jsonType = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v;

/** A Go int field: integral JSON number; null is 0. */
function routeInt(o: JSONObject, key: string): number | null | undefined {
  const v = getKey(o, key);
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (typeof v !== 'number') {
    throw new Error(`json: cannot unmarshal ${jsonType(v)} into Go struct field route.${key} of type int`);
  }
  if (!Number.isSafeInteger(v)) {
    throw new Error(`json: cannot unmarshal number ${v} into Go struct field route.${key} of type int`);
  }
  return v;
}

/**
 * One `ipam.routes` entry re-encoded through CNI's types.Route: unknown keys dropped, the host
 * bits of `dst` kept, a missing `dst` printed `<nil>`. Errors read like Go's json errors.
 */
export function reencodeRoute(v: unknown): GoStruct {
  if (v === null) return new GoStruct([['dst', '<nil>']]);
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw new Error(`json: cannot unmarshal ${jsonType(v)} into Go value of type types.route`);
  }
  const o = v as JSONObject;
  const fields: [string, unknown][] = [];
  const dst = getKey(o, 'dst');
  if (dst === undefined) fields.push(['dst', '<nil>']);
  else {
    if (dst !== null && typeof dst !== 'string') {
      throw new Error(`json: cannot unmarshal ${jsonType(dst)} into Go value of type string`);
    }
    fields.push(['dst', ipNetString(parseCIDR(dst ?? '').ip)]);
  }
  const gw = getKey(o, 'gw');
  if (gw !== undefined && gw !== null) {
    if (typeof gw !== 'string') {
      throw new Error(`json: cannot unmarshal ${jsonType(gw)} into Go struct field route.gw of type net.IP`);
    }
    if (gw !== '') {
      const ip = parseIP(gw);
      if (!ip) throw new Error(`invalid IP address: ${gw}`);
      fields.push(['gw', ipString(ip)]);
    }
  }
  for (const key of ['mtu', 'advmss', 'priority']) {
    const n = routeInt(o, key);
    if (n) fields.push([key, n]);
  }
  for (const key of ['table', 'scope']) {
    const n = routeInt(o, key);
    if (n !== undefined && n !== null) fields.push([key, n]);
  }
  return new GoStruct(fields);
}

function inputRoutes(ipam: JSONObject | undefined): GoStruct[] {
  if (!ipam || !Object.hasOwn(ipam, 'routes')) return [];
  const routes = ipam.routes;
  if (routes === null) return [];
  if (!Array.isArray(routes)) {
    throw new Error(`json: cannot unmarshal ${jsonType(routes)} into Go value of type []types.Route`);
  }
  return routes.map(reencodeRoute);
}

/** Step 11: the delegate's ipam built on the input `ipam` (Linux). */
export function buildDelegateIPAM(ipam: JSONObject | undefined, env: SubnetEnv): JSONObject {
  const out: JSONObject = { ...(ipam ?? {}) };
  if (!Object.hasOwn(out, 'type')) out.type = 'host-local';
  const ranges: JSONObject[][] = [];
  if (env.subnet !== undefined) ranges.push([{ subnet: env.subnet }]);
  if (env.ipv6Subnet !== undefined) ranges.push([{ subnet: env.ipv6Subnet }]);
  out.ranges = ranges;
  let routes: GoStruct[];
  try {
    routes = inputRoutes(ipam);
  } catch (e) {
    throw new Error(
      `failed to assemble Delegate IPAM: failed to read IPAM routes: failed to parse ipam.routes: ${(e as Error).message}`,
    );
  }
  for (const nw of [...env.networks, ...env.ipv6Networks]) routes.push(new GoStruct([['dst', nw]]));
  out.routes = routes;
  return out;
}

/** Step 3: the reference's checks on `delegate` (exact, case-sensitive keys, as Go's map). */
export function validateDelegate(delegate: JSONObject | undefined): JSONObject {
  if (delegate === undefined) return {};
  if (Object.hasOwn(delegate, 'type') && typeof delegate.type !== 'string') {
    throw new Error("'delegate' dictionary, if present, must have (string) 'type' field");
  }
  if (Object.hasOwn(delegate, 'name')) {
    throw new Error("'delegate' dictionary must not have 'name' field, it'll be set by flannel");
  }
  if (Object.hasOwn(delegate, 'ipam')) {
    throw new Error("'delegate' dictionary must not have 'ipam' field, it'll be set by flannel");
  }
  return { ...delegate };
}

/** Steps 3–5, shared by Linux and Windows. */
function baseDelegate(conf: FlannelConf): JSONObject {
  const d = validateDelegate(conf.delegate);
  if (conf.runtimeConfig !== undefined) d.runtimeConfig = conf.runtimeConfig;
  d.name = conf.name;
  return d;
}

/** The Linux delegate config (steps 3–11). */
export function buildLinuxDelegate(conf: FlannelConf, env: SubnetEnv): JSONObject {
  const d = baseDelegate(conf);
  if (!Object.hasOwn(d, 'type')) d.type = 'bridge';
  // flanneld masquerades itself when FLANNEL_IPMASQ=true: then the bridge must not.
  if (!Object.hasOwn(d, 'ipMasq')) d.ipMasq = !env.ipMasq;
  if (!Object.hasOwn(d, 'mtu')) d.mtu = env.mtu;
  if (d.type === 'bridge' && !Object.hasOwn(d, 'isGateway')) d.isGateway = true;
  if (conf.cniVersion !== '') d.cniVersion = conf.cniVersion;
  d.ipam = buildDelegateIPAM(conf.ipam, env);
  return d;
}

/** The Windows delegate config (§8): win-bridge, ipMasq as flanneld says, host-local subnet. */
export function buildWindowsDelegate(conf: FlannelConf, env: SubnetEnv): JSONObject {
  const d = baseDelegate(conf);
  if (!Object.hasOwn(d, 'type')) d.type = 'win-bridge';
  // On Windows the delegate does the NAT, so FLANNEL_IPMASQ is passed on as it is.
  d.ipMasq = env.ipMasq;
  const network = env.networks[0];
  if (network === undefined || env.subnet === undefined) {
    throw new Error(
      `${conf.subnetFile} has no IPv4 ${network === undefined ? 'FLANNEL_NETWORK' : 'FLANNEL_SUBNET'}: flannel on Windows needs an IPv4 network and subnet`,
    );
  }
  d.ipMasqNetwork = network;
  d.cniVersion = conf.cniVersion !== '' ? conf.cniVersion : '0.2.0';
  d.ipam = { type: 'host-local', subnet: env.subnet };
  return d;
}
