import { CniError } from '@cni/skel';
// portmap configuration: the reference's keys, matched case-insensitively like Go's JSON decoder.
import { type Backend, detectBackend } from '@cni/iptables';
import { isIP } from '@cni/netlink';

/** A CNI error of this plugin (a skel CniError: printed as {code, msg, details}). */
export class PortmapError extends CniError {}

export const ERR_DECODING = 6;
export const ERR_INVALID_CONFIG = 7;
export const ERR_NOT_AVAILABLE = 50;
export const ERR_INTERNAL = 999;

export interface PortMapEntry {
  hostPort: number;
  containerPort: number;
  protocol: string;
  hostIP?: string;
}

export interface ResultLike {
  cniVersion?: string;
  interfaces?: { name: string; sandbox?: string }[];
  ips?: { address: string; interface?: number }[];
  [k: string]: unknown;
}

export interface PortMapConf {
  name: string;
  cniVersion: string;
  backend: Backend;
  /** Was the backend given in the config (otherwise detected)? */
  backendExplicit: boolean;
  /**
   * Not detected yet (ParseOptions.lazy): `backend` is iptables until iptables fails; the verbs
   * then detect (see @cni/iptables withBackend).
   */
  backendProvisional?: boolean;
  snat: boolean;
  conditionsV4?: string[];
  conditionsV6?: string[];
  masqAll: boolean;
  markMasqBit: number;
  externalSetMarkChain?: string;
  portMappings: PortMapEntry[];
  prevResult?: ResultLike;
  /** First IPv4 / IPv6 container address with prefix, e.g. `10.0.0.2/24`. */
  contIPv4?: string;
  contIPv6?: string;
  containerID: string;
}

/** Go-style case-insensitive key lookup (exact match first). */
export function getKey(obj: Record<string, unknown> | undefined, key: string): unknown {
  if (!obj) return undefined;
  if (Object.hasOwn(obj, key)) return obj[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}

function bad(key: string, value: unknown, want: string): PortmapError {
  return new PortmapError(
    ERR_DECODING,
    'failed to parse config',
    `${key}: expected ${want}, got ${JSON.stringify(value)}`,
  );
}

function optBool(obj: Record<string, unknown>, key: string): boolean | undefined {
  const v = getKey(obj, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw bad(key, v, 'a boolean');
  return v;
}

function optInt(obj: Record<string, unknown>, key: string): number | undefined {
  const v = getKey(obj, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(key, v, 'an integer');
  return v;
}

function optString(obj: Record<string, unknown>, key: string): string | undefined {
  const v = getKey(obj, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(key, v, 'a string');
  return v;
}

function optStrings(obj: Record<string, unknown>, key: string): string[] | undefined {
  const v = getKey(obj, key);
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw bad(key, v, 'an array of strings');
  return v as string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseMappings(rc: Record<string, unknown> | undefined): PortMapEntry[] {
  const v = getKey(rc, 'portMappings');
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw bad('runtimeConfig.portMappings', v, 'an array');
  return v.map((m, i) => {
    const where = `runtimeConfig.portMappings[${i}]`;
    if (!isObject(m)) throw bad(where, m, 'an object');
    const hostPort = optInt(m, 'hostPort') ?? 0;
    const containerPort = optInt(m, 'containerPort') ?? 0;
    const protocol = optString(m, 'protocol') ?? '';
    const hostIP = optString(m, 'hostIP');
    if (containerPort <= 0)
      throw new PortmapError(
        ERR_INVALID_CONFIG,
        `Invalid container port number: ${containerPort}`,
        `${where}.containerPort`,
      );
    if (hostPort <= 0)
      throw new PortmapError(
        ERR_INVALID_CONFIG,
        `Invalid host port number: ${hostPort}`,
        `${where}.hostPort`,
      );
    if (hostPort > 65535 || containerPort > 65535)
      throw new PortmapError(
        ERR_INVALID_CONFIG,
        `Invalid port number: ${hostPort > 65535 ? hostPort : containerPort}`,
        `${where}: ports must be at most 65535`,
      );
    if (!/^[A-Za-z0-9]+$/.test(protocol))
      throw new PortmapError(
        ERR_INVALID_CONFIG,
        `Invalid protocol: ${JSON.stringify(protocol)}`,
        `${where}.protocol`,
      );
    if (hostIP !== undefined && hostIP !== '' && !isIP(hostIP))
      throw new PortmapError(
        ERR_INVALID_CONFIG,
        `Invalid host IP: ${JSON.stringify(hostIP)}`,
        `${where}.hostIP`,
      );
    const e: PortMapEntry = { hostPort, containerPort, protocol };
    if (hostIP) e.hostIP = hostIP;
    return e;
  });
}

/** iptables if the first condition starts with `-` or `!`, nftables otherwise, none if empty. */
export function backendOfConditions(c: string[] | undefined): Backend | undefined {
  const first = c?.[0];
  if (!first) return undefined;
  return first[0] === '-' || first[0] === '!' ? 'iptables' : 'nftables';
}

export interface ParseOptions {
  ifName: string;
  containerID: string;
  /** Backend detection (default: probe this machine). */
  detect?: () => Backend;
  /**
   * Without a configured backend and without backend-specific options, do not detect now:
   * iptables provisionally (backendProvisional), detected only if iptables fails.
   */
  lazy?: boolean;
}

export function parseConfig(stdin: string | Buffer, opts: ParseOptions): PortMapConf {
  let raw: unknown;
  try {
    raw = JSON.parse(stdin.toString());
  } catch (err) {
    throw new PortmapError(ERR_DECODING, 'failed to parse network configuration', (err as Error).message);
  }
  if (!isObject(raw)) throw bad('(config)', raw, 'a JSON object');
  const name = optString(raw, 'name') ?? '';
  const cniVersion = optString(raw, 'cniVersion') ?? '';
  const backendText = optString(raw, 'backend');
  if (backendText !== undefined && backendText !== 'iptables' && backendText !== 'nftables')
    throw new PortmapError(
      ERR_INVALID_CONFIG,
      `unrecognized backend ${JSON.stringify(backendText)}`,
      'backend',
    );
  const snat = optBool(raw, 'snat') ?? true;
  const masqAll = optBool(raw, 'masqAll') ?? false;
  const markMasqBitOpt = optInt(raw, 'markMasqBit');
  const externalSetMarkChain = optString(raw, 'externalSetMarkChain');
  const conditionsV4 = optStrings(raw, 'conditionsV4');
  const conditionsV6 = optStrings(raw, 'conditionsV6');
  if (markMasqBitOpt !== undefined && externalSetMarkChain !== undefined)
    throw new PortmapError(ERR_INVALID_CONFIG, 'Cannot specify externalSetMarkChain and markMasqBit');
  const markMasqBit = markMasqBitOpt ?? 13;
  if (markMasqBit < 0 || markMasqBit > 31)
    throw new PortmapError(
      ERR_INVALID_CONFIG,
      'MasqMarkBit must be between 0 and 31',
      `markMasqBit: ${markMasqBit}`,
    );
  if (externalSetMarkChain !== undefined && !/^[A-Za-z0-9_.-]{1,28}$/.test(externalSetMarkChain))
    throw new PortmapError(
      ERR_INVALID_CONFIG,
      `Invalid externalSetMarkChain: ${JSON.stringify(externalSetMarkChain)}`,
      'a chain name is 1-28 letters, digits, "_", "." or "-"',
    );
  for (const [k, c] of [
    ['conditionsV4', conditionsV4],
    ['conditionsV6', conditionsV6],
  ] as const) {
    if (c?.some((x) => /[\n\r\0]/.test(x)))
      throw new PortmapError(ERR_INVALID_CONFIG, `Invalid ${k}`, `${k} must not contain line breaks`);
  }
  const rcRaw = getKey(raw, 'runtimeConfig');
  if (rcRaw !== undefined && rcRaw !== null && !isObject(rcRaw))
    throw bad('runtimeConfig', rcRaw, 'an object');
  const portMappings = parseMappings(isObject(rcRaw) ? rcRaw : undefined);

  const backendOpts = { iptables: [] as string[], nftables: [] as string[] };
  if (externalSetMarkChain !== undefined) backendOpts.iptables.push('externalSetMarkChain');
  const b4 = backendOfConditions(conditionsV4);
  if (b4) backendOpts[b4].push('conditionsV4');
  const b6 = backendOfConditions(conditionsV6);
  if (b6) backendOpts[b6].push('conditionsV6');

  // Nothing to map → nothing is touched, not even a probe of the firewall.
  const specific = backendOpts.iptables.length + backendOpts.nftables.length > 0;
  const provisional = backendText === undefined && portMappings.length > 0 && opts.lazy === true && !specific;
  const backend: Backend =
    (backendText as Backend | undefined) ??
    (portMappings.length === 0 || provisional ? 'iptables' : (opts.detect ?? (() => detectBackend(null)))());
  const wrong: Backend = backend === 'iptables' ? 'nftables' : 'iptables';
  if (backendOpts[wrong].length > 0 && (portMappings.length > 0 || backendText !== undefined))
    throw new PortmapError(
      ERR_INVALID_CONFIG,
      `${backend} backend was requested but configuration contains ${wrong}-specific options [${backendOpts[wrong].join(' ')}]`,
    );

  const conf: PortMapConf = {
    name,
    cniVersion,
    backend,
    backendExplicit: backendText !== undefined,
    ...(provisional ? { backendProvisional: true } : {}),
    snat,
    masqAll,
    markMasqBit,
    portMappings,
    containerID: opts.containerID,
  };
  if (conditionsV4) conf.conditionsV4 = conditionsV4;
  if (conditionsV6) conf.conditionsV6 = conditionsV6;
  if (externalSetMarkChain !== undefined) conf.externalSetMarkChain = externalSetMarkChain;

  const prev = getKey(raw, 'prevResult');
  if (prev !== undefined && prev !== null) {
    if (!isObject(prev)) throw bad('prevResult', prev, 'an object');
    const result = prev as ResultLike;
    conf.prevResult = result;
    const ifaces = Array.isArray(result.interfaces) ? result.interfaces : [];
    for (const ip of Array.isArray(result.ips) ? result.ips : []) {
      const addr = typeof ip?.address === 'string' ? ip.address : '';
      const host = addr.split('/')[0] ?? '';
      const fam = isIP(host);
      if (fam === 0 || !addr.includes('/'))
        throw bad('prevResult.ips[].address', ip?.address, 'an address with prefix');
      if (fam === 4 && conf.contIPv4) continue;
      if (fam === 6 && conf.contIPv6) continue;
      if (typeof ip.interface === 'number') {
        const iface = ifaces[ip.interface];
        if (ip.interface >= 0 && iface && (iface.name !== opts.ifName || !iface.sandbox)) continue;
      }
      if (fam === 4) conf.contIPv4 = addr;
      else conf.contIPv6 = addr;
    }
  }
  return conf;
}
