// ipvlan configuration: the reference's keys and defaults (cni-reference §3.2). parseConf is
// pure (no kernel); the master is resolved by @cni/ip's resolveMaster.
import { INT32_MAX, invalid, optBool, optInt, optString } from '@cni/ip';
import { CniError, ErrCode, type NetConf, parseNetConf } from '@cni/skel';

export type IpvlanMode = 'l2' | 'l3' | 'l3s';
export const MODES: readonly IpvlanMode[] = ['l2', 'l3', 'l3s'];

export interface IpvlanConf extends NetConf {
  /** '' = not configured (the prevResult's single interface, or the default-route interface) */
  master: string;
  mode: IpvlanMode;
  /** 0 = the kernel's default (the master's MTU) */
  mtu: number;
  linkInContainer: boolean;
}

/** Parse and validate everything that needs no kernel. */
export function parseConf(stdin: Buffer | string): IpvlanConf {
  const conf = parseNetConf(stdin);
  const raw = conf.raw;
  const modeText = optString(raw, 'mode');
  if (modeText !== '' && !MODES.includes(modeText as IpvlanMode)) {
    throw new CniError(ErrCode.InvalidNetworkConfig, `unknown ipvlan mode: ${JSON.stringify(modeText)}`);
  }
  const mtu = optInt(raw, 'mtu', -(INT32_MAX + 1), INT32_MAX) ?? 0;
  if (mtu < 0) throw invalid('mtu', mtu, 'must not be negative');
  return {
    ...conf,
    master: optString(raw, 'master'),
    mode: (modeText || 'l2') as IpvlanMode,
    mtu,
    linkInContainer: optBool(raw, 'linkInContainer'),
  };
}

/**
 * Where the addresses come from: the IPAM plugin, or — chained, with no `ipam.type` — the
 * prevResult's IPs. Neither is an error before anything is created (the reference would
 * create the link and then fail to run an IPAM plugin with no name).
 */
export function addressSource(conf: IpvlanConf): 'ipam' | 'prevResult' {
  if (conf.ipam?.type) return 'ipam';
  if ((conf.prevResult?.ips ?? []).length > 0) return 'prevResult';
  throw new CniError(
    ErrCode.InvalidNetworkConfig,
    'ipvlan requires an IPAM configuration ("ipam.type") or a prevResult with IPs',
  );
}
