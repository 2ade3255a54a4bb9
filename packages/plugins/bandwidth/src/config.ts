// The bandwidth plugin's configuration (cni-reference §3.16): top-level ingressRate/
// ingressBurst/egressRate/egressBurst, or runtimeConfig.bandwidth when no top-level key is
// present. Rates are bits per second, bursts bits.
import { CniError, ErrCode, getKey, goStringify, type NetConf, parseNetConf } from '@cni/skel';

export interface BandwidthEntry {
  /** bits/s into the container; 0 = no limit */
  ingressRate: number;
  /** bits */
  ingressBurst: number;
  /** bits/s out of the container; 0 = no limit */
  egressRate: number;
  /** bits */
  egressBurst: number;
}

export interface BandwidthConf {
  netConf: NetConf;
  /** the entry in effect (top level wins over runtimeConfig); undefined when neither is given */
  bandwidth: BandwidthEntry | undefined;
}

const KEYS = ['ingressRate', 'ingressBurst', 'egressRate', 'egressBurst'] as const;
const MAX_UINT32 = 0xffffffff;

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A JSON uint64 (Go's decoder: non-negative integer; null leaves the zero value). */
function uint64(o: Record<string, unknown>, key: string, where: string): number {
  const v = getKey(o, key);
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= 2 ** 64) {
    const what = typeof v === 'number' ? `number ${goStringify(v)}` : `${typeof v} ${goStringify(v)}`;
    throw new CniError(
      ErrCode.Internal,
      `failed to parse network configuration: json: cannot unmarshal ${what} into Go struct field ${where}${key} of type uint64`,
    );
  }
  return v;
}

function entryOf(o: Record<string, unknown>, where: string): BandwidthEntry {
  const [ingressRate, ingressBurst, egressRate, egressBurst] = KEYS.map((k) => uint64(o, k, where));
  return {
    ingressRate: ingressRate ?? 0,
    ingressBurst: ingressBurst ?? 0,
    egressRate: egressRate ?? 0,
    egressBurst: egressBurst ?? 0,
  };
}

/** Both zero or both set; burst/8 must stay below 2³² bytes (the reference's messages). */
export function validateRateAndBurst(rate: number, burst: number, which: 'ingress' | 'egress'): void {
  if (burst === 0 && rate !== 0)
    throw new CniError(
      ErrCode.Internal,
      `if rate is set, burst must also be set (${which}Rate ${rate}, ${which}Burst 0)`,
    );
  if (rate === 0 && burst !== 0)
    throw new CniError(
      ErrCode.Internal,
      `if burst is set, rate must also be set (${which}Burst ${burst}, ${which}Rate 0)`,
    );
  if (Math.floor(burst / 8) >= MAX_UINT32)
    throw new CniError(ErrCode.Internal, `burst cannot be more than 4GB (${which}Burst ${burst})`);
}

export const isZero = (b: BandwidthEntry): boolean =>
  b.ingressRate === 0 && b.ingressBurst === 0 && b.egressRate === 0 && b.egressBurst === 0;

/**
 * Parse and validate stdin. The top-level entry exists as soon as any of its four keys is
 * present (as Go allocates the embedded struct); only then is runtimeConfig.bandwidth ignored.
 */
export function parseConf(stdin: Buffer | string): BandwidthConf {
  const netConf = parseNetConf(stdin);
  const raw = netConf.raw;
  let bandwidth: BandwidthEntry | undefined;
  if (KEYS.some((k) => getKey(raw, k) !== undefined)) {
    bandwidth = entryOf(raw, 'PluginConf.');
  } else {
    const rc = getKey(raw, 'runtimeConfig');
    const bw = isObj(rc) ? getKey(rc, 'bandwidth') : undefined;
    if (bw !== undefined && bw !== null) {
      if (!isObj(bw)) {
        throw new CniError(
          ErrCode.Internal,
          `failed to parse network configuration: json: cannot unmarshal ${Array.isArray(bw) ? 'array' : typeof bw} into Go struct field .runtimeConfig.bandwidth of type main.BandwidthEntry`,
        );
      }
      bandwidth = entryOf(bw, 'PluginConf.runtimeConfig.bandwidth.');
    }
  }
  if (bandwidth) {
    validateRateAndBurst(bandwidth.ingressRate, bandwidth.ingressBurst, 'ingress');
    validateRateAndBurst(bandwidth.egressRate, bandwidth.egressBurst, 'egress');
  }
  return { netConf, bandwidth };
}
