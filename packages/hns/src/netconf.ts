// The configuration the Windows plugins read (cni-reference §3.19, windows.md §1.1).
import { CniError, type DNS, ErrCode, getKey, goStringify, type NetConf, parseNetConf } from '@cni/skel';
import { parseCIDR } from './ip.js';

/** `policies[]` entry: only `name` = EndpointPolicy (any case) is used; `value` is raw JSON. */
export interface Policy {
  name: string;
  value: unknown;
}

export interface PortMapEntry {
  hostPort: number;
  containerPort: number;
  protocol: string;
  hostIP: string;
}

export interface WindowsNetConf {
  conf: NetConf;
  cniVersion: string;
  name: string;
  /** 2 = HCN v2 (computenetwork.dll); anything else = HNS v1 */
  apiVersion: number;
  policies: Policy[];
  loopbackDSR: boolean;
  /** config `dns` with runtimeConfig.dns servers/searches applied */
  dns: DNS;
  portMappings: PortMapEntry[];
  /** `ipam.type`, '' when no IPAM */
  ipamType: string;
  ipMasq: boolean;
  ipMasqNetwork: string;
  endpointMacPrefix: string;
}

const typeName = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v;

export const badKey = (key: string, want: string, v: unknown): CniError =>
  new CniError(
    ErrCode.DecodingFailure,
    `failed to load netconf: key ${JSON.stringify(key)} must be ${want}, got ${typeName(v)} ${goStringify(v)}`,
  );

const invalid = (key: string, v: unknown, why: string): CniError =>
  new CniError(ErrCode.InvalidNetworkConfig, `invalid ${key} ${goStringify(v)}: ${why}`);

function bool(o: Record<string, unknown>, key: string, path = key): boolean {
  const v = getKey(o, key);
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw badKey(path, 'a boolean', v);
  return v;
}

function str(o: Record<string, unknown>, key: string, path = key): string {
  const v = getKey(o, key);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw badKey(path, 'a string', v);
  return v;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function strings(o: Record<string, unknown>, key: string, path: string): string[] {
  const v = getKey(o, key);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw badKey(path, 'an array of strings', v);
  return v as string[];
}

function port(o: Record<string, unknown>, key: string, path: string): number {
  const v = getKey(o, key);
  if (typeof v !== 'number' || !Number.isInteger(v)) throw badKey(path, 'an integer', v ?? null);
  if (v < 1 || v > 65535) throw invalid(path, v, 'a port is 1-65535');
  return v;
}

function parsePolicies(raw: Record<string, unknown>): Policy[] {
  const v = getKey(raw, 'policies');
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw badKey('policies', 'an array', v);
  return v.map((p, i) => {
    if (!isObject(p)) throw badKey(`policies[${i}]`, 'an object {"name","value"}', p);
    return { name: str(p, 'name', `policies[${i}].name`), value: getKey(p, 'value') ?? null };
  });
}

function parsePortMappings(rc: Record<string, unknown> | undefined): PortMapEntry[] {
  const v = rc ? getKey(rc, 'portMappings') : undefined;
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw badKey('runtimeConfig.portMappings', 'an array', v);
  return v.map((m, i) => {
    const path = `runtimeConfig.portMappings[${i}]`;
    if (!isObject(m)) throw badKey(path, 'an object', m);
    return {
      hostPort: port(m, 'hostPort', `${path}.hostPort`),
      containerPort: port(m, 'containerPort', `${path}.containerPort`),
      protocol: str(m, 'protocol', `${path}.protocol`),
      hostIP: str(m, 'hostIP', `${path}.hostIP`),
    };
  });
}

/** Parse and check a win-bridge / win-overlay configuration. Errors name the key and value. */
export function parseWindowsNetConf(stdin: Buffer | string): WindowsNetConf {
  const conf = parseNetConf(stdin);
  const raw = conf.raw;
  const api = getKey(raw, 'apiVersion');
  let apiVersion = 0;
  if (api !== undefined && api !== null) {
    if (typeof api !== 'number' || !Number.isInteger(api)) throw badKey('apiVersion', 'an integer', api);
    apiVersion = api;
  }
  const rc = conf.runtimeConfig;
  const rdnsRaw = rc ? getKey(rc, 'dns') : undefined;
  let servers: string[] = [];
  let searches: string[] = [];
  if (rdnsRaw !== undefined && rdnsRaw !== null) {
    if (!isObject(rdnsRaw)) throw badKey('runtimeConfig.dns', 'an object', rdnsRaw);
    servers = strings(rdnsRaw, 'servers', 'runtimeConfig.dns.servers');
    searches = strings(rdnsRaw, 'searches', 'runtimeConfig.dns.searches');
  }
  const dns: DNS = { ...(conf.dns ?? {}) };
  if (servers.length > 0) dns.nameservers = [...servers];
  if (searches.length > 0) dns.search = [...searches];

  const ipMasqNetwork = str(raw, 'ipMasqNetwork');
  if (ipMasqNetwork !== '' && !parseCIDR(ipMasqNetwork)) {
    throw invalid('ipMasqNetwork', ipMasqNetwork, 'want a CIDR such as 10.244.0.0/16');
  }
  return {
    conf,
    cniVersion: conf.cniVersion,
    name: conf.name,
    apiVersion,
    policies: parsePolicies(raw),
    loopbackDSR: bool(raw, 'loopbackDSR'),
    dns,
    portMappings: parsePortMappings(rc),
    ipamType: conf.ipam?.type ?? '',
    ipMasq: bool(raw, 'ipMasq'),
    ipMasqNetwork,
    endpointMacPrefix: str(raw, 'endpointMacPrefix'),
  };
}
