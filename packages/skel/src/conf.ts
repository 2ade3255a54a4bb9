// Plugin configuration (what a plugin receives on stdin) and CNI_ARGS.
import { CniError, ErrCode } from './errors.js';
import { goJSONParse } from './gojson.js';
import { getKey, goStringify, goTypeName, isPlainObject } from './json.js';
import { parseResult } from './result.js';
import type { DNS, Result } from './types.js';
import { hasSlashColonOrGoSpace, isCniName } from './chars.js';

/** The common keys of a plugin configuration; `raw` is the whole parsed object. */
export interface NetConf {
  cniVersion: string;
  name: string;
  type: string;
  capabilities?: Record<string, boolean>;
  ipam?: { type?: string; [k: string]: unknown };
  dns?: DNS;
  runtimeConfig?: Record<string, unknown>;
  args?: Record<string, unknown>;
  prevResult?: Result;
  rawPrevResult?: Record<string, unknown>;
  raw: Record<string, unknown>;
}

const wrongType = (key: string, want: string, v: unknown) =>
  new CniError(
    ErrCode.DecodingFailure,
    `failed to load netconf: key ${JSON.stringify(key)} must be ${want}, got ${goTypeName(v)} ${goStringify(v)}`,
  );

/** Parse stdin as JSON with Go-like messages; errors are CniError 6. */
export function parseJSONConfig(stdin: Buffer | string, what = 'network config'): unknown {
  const text = typeof stdin === 'string' ? stdin : stdin.toString('utf8');
  try {
    return goJSONParse(text);
  } catch (e) {
    throw new CniError(ErrCode.DecodingFailure, `error unmarshall ${what}: ${(e as Error).message}`);
  }
}

function str(o: Record<string, unknown>, key: string): string {
  const v = getKey(o, key);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw wrongType(key, 'a string', v);
  return v;
}

function obj(o: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const v = getKey(o, key);
  if (v === undefined || v === null) return undefined;
  if (!isPlainObject(v)) throw wrongType(key, 'an object', v);
  return v;
}

function strList(o: Record<string, unknown>, key: string, prefix: string): string[] | undefined {
  const v = getKey(o, key);
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw wrongType(`${prefix}${key}`, 'an array of strings', v);
  }
  return [...(v as string[])];
}

/**
 * Parse a plugin configuration. JSON and type errors are CniError 6 naming the key and value.
 * `prevResult` is parsed into the internal Result (a version-less one gets the config's
 * version); `rawPrevResult` keeps it as received.
 */
export function parseNetConf(stdin: Buffer | string): NetConf {
  const parsed = parseJSONConfig(stdin);
  if (!isPlainObject(parsed)) {
    throw new CniError(
      ErrCode.DecodingFailure,
      `failed to load netconf: the configuration must be a JSON object, got ${goTypeName(parsed)}`,
    );
  }
  const raw = parsed;
  const conf: NetConf = {
    cniVersion: str(raw, 'cniVersion'),
    name: str(raw, 'name'),
    type: str(raw, 'type'),
    raw,
  };
  const caps = obj(raw, 'capabilities');
  if (caps) {
    for (const [k, v] of Object.entries(caps)) {
      if (typeof v !== 'boolean') throw wrongType(`capabilities.${k}`, 'a boolean', v);
    }
    conf.capabilities = caps as Record<string, boolean>;
  }
  const ipam = obj(raw, 'ipam');
  if (ipam) {
    const t = getKey(ipam, 'type');
    if (t !== undefined && t !== null && typeof t !== 'string') throw wrongType('ipam.type', 'a string', t);
    conf.ipam = ipam as NetConf['ipam'] & object;
  }
  const dnsObj = obj(raw, 'dns');
  if (dnsObj) {
    const dns: DNS = {};
    const ns = strList(dnsObj, 'nameservers', 'dns.');
    if (ns) dns.nameservers = ns;
    const domain = getKey(dnsObj, 'domain');
    if (domain !== undefined && domain !== null) {
      if (typeof domain !== 'string') throw wrongType('dns.domain', 'a string', domain);
      if (domain) dns.domain = domain;
    }
    const search = strList(dnsObj, 'search', 'dns.');
    if (search) dns.search = search;
    const options = strList(dnsObj, 'options', 'dns.');
    if (options) dns.options = options;
    conf.dns = dns;
  }
  const rc = obj(raw, 'runtimeConfig');
  if (rc) conf.runtimeConfig = rc;
  const args = obj(raw, 'args');
  if (args) conf.args = args;
  const prev = obj(raw, 'prevResult');
  if (prev) {
    conf.rawPrevResult = prev;
    try {
      conf.prevResult = parseResult(prev, conf.cniVersion || '0.1.0');
    } catch (e) {
      const ce = CniError.from(e);
      throw new CniError(ce.code, `could not parse prevResult: ${ce.msg}`, ce.details);
    }
  }
  return conf;
}

/** Go's utils.ValidateContainerID: empty → 3, bad characters → 4 (details: the ID). */
export function validateContainerID(id: string): void {
  if (id === '') throw new CniError(ErrCode.UnknownContainer, 'missing containerID');
  if (!isCniName(id))
    throw new CniError(ErrCode.InvalidEnvironmentVariables, 'invalid characters in containerID', id);
}

/** Go's utils.ValidateNetworkName: code 7. */
export function validateNetworkName(name: string): void {
  if (name === '') throw new CniError(ErrCode.InvalidNetworkConfig, 'missing network name:');
  if (!isCniName(name)) {
    throw new CniError(ErrCode.InvalidNetworkConfig, 'invalid characters found in network name', name);
  }
}

/** Go's utils.ValidateInterfaceName: ≤15 bytes, not . or .., no / : or whitespace; code 4. */
export function validateInterfaceName(ifName: string): void {
  const len = Buffer.byteLength(ifName);
  if (len === 0) throw new CniError(ErrCode.InvalidEnvironmentVariables, 'interface name is empty');
  if (len > 15) {
    throw new CniError(
      ErrCode.InvalidEnvironmentVariables,
      'interface name is too long',
      'interface name should be less than 16 characters',
    );
  }
  if (ifName === '.' || ifName === '..') {
    throw new CniError(ErrCode.InvalidEnvironmentVariables, 'interface name is . or ..');
  }
  if (hasSlashColonOrGoSpace(ifName)) {
    throw new CniError(
      ErrCode.InvalidEnvironmentVariables,
      'interface name contains / or : or whitespace characters',
    );
  }
}

/**
 * Parse `CNI_ARGS` (`K=V;K2=V2`) like Go's types.LoadArgs: every pair must split on `=` into
 * exactly two parts; keys are matched case-sensitively against `known` (plus `IgnoreUnknown`,
 * which every Go args struct has); unknown keys are an error unless `IgnoreUnknown` is
 * 1/true (case-insensitive). Returns the known keys that were given (last one wins).
 * Errors are CniError 4 with the Go message text.
 */
export function parseCniArgs(cniArgs: string, known: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (cniArgs === '') return out;
  const unknown: string[] = [];
  let ignoreUnknown = false;
  for (const pair of cniArgs.split(';')) {
    const kv = pair.split('=');
    if (kv.length !== 2) {
      throw new CniError(ErrCode.InvalidEnvironmentVariables, `ARGS: invalid pair ${JSON.stringify(pair)}`);
    }
    const [key, value] = kv as [string, string];
    if (key === 'IgnoreUnknown') {
      const b = value.toLowerCase();
      if (b === '1' || b === 'true') ignoreUnknown = true;
      else if (b === '0' || b === 'false') ignoreUnknown = false;
      else {
        throw new CniError(
          ErrCode.InvalidEnvironmentVariables,
          `ARGS: error parsing value of pair ${JSON.stringify(pair)}: boolean unmarshal error: invalid input ${b}`,
        );
      }
      out[key] = value;
      continue;
    }
    if (key !== '' && known.includes(key)) out[key] = value;
    else unknown.push(pair);
  }
  if (unknown.length > 0 && !ignoreUnknown) {
    throw new CniError(
      ErrCode.InvalidEnvironmentVariables,
      `ARGS: unknown args [${unknown.map((u) => JSON.stringify(u)).join(' ')}]`,
    );
  }
  return out;
}
