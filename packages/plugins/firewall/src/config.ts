import { CniError } from '@cni/skel';
// firewall configuration: the reference's keys, matched case-insensitively like Go's decoder.
import { isIP } from '@cni/iptables';

/** A CNI error of this plugin (a skel CniError: printed as {code, msg, details}). */
export class FirewallError extends CniError {}

export const ERR_DECODING = 6;
export const ERR_INVALID_CONFIG = 7;
export const ERR_NOT_AVAILABLE = 50;
export const ERR_INTERNAL = 999;

export type IngressPolicy = '' | 'open' | 'same-bridge' | 'isolated';
export type FirewallBackendName = '' | 'iptables' | 'firewalld';

export interface ResultLike {
  cniVersion?: string;
  interfaces?: { name: string; sandbox?: string }[];
  ips?: { address: string; interface?: number }[];
  [k: string]: unknown;
}

export interface FirewallConf {
  name: string;
  cniVersion: string;
  backend: FirewallBackendName;
  iptablesAdminChainName: string;
  firewalldZone: string;
  ingressPolicy: IngressPolicy;
  prevResult?: ResultLike;
  /** Container addresses of prevResult, e.g. `10.0.0.2/24`. */
  addresses: string[];
  /** Where attachment records live (`<dataDir>/<network>/<containerID>-<ifname>`). */
  dataDir: string;
  /** `cni.dev/valid-attachments` of a GC request (empty otherwise). */
  validAttachments: { containerID: string; ifname: string }[];
}

export const DEFAULT_DATA_DIR = '/var/lib/cni/firewall';

export function getKey(obj: Record<string, unknown> | undefined, key: string): unknown {
  if (!obj) return undefined;
  if (Object.hasOwn(obj, key)) return obj[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}

function str(obj: Record<string, unknown>, key: string): string {
  const v = getKey(obj, key);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string')
    throw new FirewallError(
      ERR_DECODING,
      'failed to load netconf',
      `${key}: expected a string, got ${JSON.stringify(v)}`,
    );
  return v;
}

export function parseConf(stdin: string | Buffer): FirewallConf {
  let raw: unknown;
  try {
    raw = JSON.parse(stdin.toString());
  } catch (err) {
    throw new FirewallError(ERR_DECODING, 'failed to load netconf', (err as Error).message);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new FirewallError(ERR_DECODING, 'failed to load netconf', 'the configuration is not a JSON object');
  const obj = raw as Record<string, unknown>;
  const backend = str(obj, 'backend');
  if (backend !== '' && backend !== 'iptables' && backend !== 'firewalld')
    throw new FirewallError(
      ERR_INVALID_CONFIG,
      `unknown firewall backend ${JSON.stringify(backend)}`,
      'backend',
    );
  const ingressPolicy = str(obj, 'ingressPolicy');
  if (!['', 'open', 'same-bridge', 'isolated'].includes(ingressPolicy))
    throw new FirewallError(
      ERR_INVALID_CONFIG,
      `unknown ingress policy: ${JSON.stringify(ingressPolicy)}`,
      'ingressPolicy',
    );
  const admin = str(obj, 'iptablesAdminChainName') || 'CNI-ADMIN';
  if (!/^[A-Za-z0-9_.-]{1,28}$/.test(admin) || admin.startsWith('-'))
    throw new FirewallError(
      ERR_INVALID_CONFIG,
      `invalid iptablesAdminChainName ${JSON.stringify(admin)}`,
      'a chain name is 1-28 letters, digits, "_", "." or "-"',
    );
  const zone = str(obj, 'firewalldZone') || 'trusted';
  const conf: FirewallConf = {
    name: str(obj, 'name'),
    cniVersion: str(obj, 'cniVersion'),
    backend: backend as FirewallBackendName,
    iptablesAdminChainName: admin,
    firewalldZone: zone,
    ingressPolicy: ingressPolicy as IngressPolicy,
    addresses: [],
    dataDir: str(obj, 'dataDir') || DEFAULT_DATA_DIR,
    validAttachments: [],
  };
  const valid = getKey(obj, 'cni.dev/valid-attachments');
  if (valid !== undefined && valid !== null) {
    if (!Array.isArray(valid))
      throw new FirewallError(
        ERR_DECODING,
        'failed to load netconf',
        `cni.dev/valid-attachments: expected an array, got ${JSON.stringify(valid)}`,
      );
    for (const [i, a] of valid.entries()) {
      const o = (typeof a === 'object' && a !== null ? a : {}) as Record<string, unknown>;
      const containerID = getKey(o, 'containerID');
      const ifname = getKey(o, 'ifname');
      if (typeof containerID !== 'string' || typeof ifname !== 'string')
        throw new FirewallError(
          ERR_DECODING,
          'failed to load netconf',
          `cni.dev/valid-attachments[${i}]: expected string "containerID" and "ifname", got ${JSON.stringify(a)}`,
        );
      conf.validAttachments.push({ containerID, ifname });
    }
  }
  const prev = getKey(obj, 'prevResult');
  if (prev !== undefined && prev !== null) {
    if (typeof prev !== 'object' || Array.isArray(prev))
      throw new FirewallError(ERR_DECODING, 'could not parse prevResult', 'prevResult: expected an object');
    conf.prevResult = prev as ResultLike;
    const ips = Array.isArray(conf.prevResult.ips) ? conf.prevResult.ips : [];
    for (const [i, ip] of ips.entries()) {
      const a = typeof ip?.address === 'string' ? ip.address : '';
      if (!a.includes('/') || !isIP(a.split('/')[0] ?? ''))
        throw new FirewallError(
          ERR_DECODING,
          'could not parse prevResult',
          `prevResult.ips[${i}].address: ${JSON.stringify(ip?.address)} is not an address with prefix`,
        );
      conf.addresses.push(a);
    }
  }
  return conf;
}

/** `10.0.0.2/24` → `10.0.0.2/32`, `fd00::2/64` → `fd00::2/128` (the reference's ipString). */
export function hostCIDR(address: string): string {
  const ip = address.split('/')[0] as string;
  return ip.includes(':') ? `${ip}/128` : `${ip}/32`;
}
