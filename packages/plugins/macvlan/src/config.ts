// macvlan configuration: the reference's keys, defaults and precedence (cni-reference §3.3).
// parseConf is pure (no kernel); resolveMaster looks the master up.
import { CniError, ErrCode, type NetConf, parseNetConf } from '@cni/skel';
import { INT32_MAX, invalid, optBool, optInt, optString, resolveMac, UINT32_MAX } from '@cni/ip';

export type MacvlanMode = 'bridge' | 'private' | 'vepa' | 'passthru';
export const MODES: readonly MacvlanMode[] = ['bridge', 'private', 'vepa', 'passthru'];

export interface MacvlanConf extends NetConf {
  /** '' = not configured (the default-route interface, or the prevResult's interface) */
  master: string;
  mode: MacvlanMode;
  /** 0 = the kernel's default (the master's MTU) */
  mtu: number;
  mac?: string;
  linkInContainer: boolean;
  /** IFLA_MACVLAN_BC_QUEUE_LEN; undefined = the kernel's default */
  bcQueueLen?: number;
}

/** Parse and validate everything that needs no kernel. CNI_ARGS feed the MAC precedence. */
export function parseConf(stdin: Buffer | string, cniArgs: string): MacvlanConf {
  const conf = parseNetConf(stdin);
  const raw = conf.raw;
  const modeText = optString(raw, 'mode');
  if (modeText !== '' && !MODES.includes(modeText as MacvlanMode)) {
    throw new CniError(ErrCode.InvalidNetworkConfig, `unknown macvlan mode: ${JSON.stringify(modeText)}`);
  }
  const mtu = optInt(raw, 'mtu', -(INT32_MAX + 1), INT32_MAX) ?? 0;
  if (mtu < 0) throw invalid('mtu', mtu, 'must not be negative');
  const bc = optInt(raw, 'bcqueuelen', 0, UINT32_MAX);
  const out: MacvlanConf = {
    ...conf,
    master: optString(raw, 'master'),
    mode: (modeText || 'bridge') as MacvlanMode,
    mtu,
    linkInContainer: optBool(raw, 'linkInContainer'),
  };
  // Go's omitempty uint32: 0 means "not set" (the kernel default).
  if (bc !== undefined && bc > 0) out.bcQueueLen = bc;
  const mac = resolveMac(raw, cniArgs);
  if (mac) out.mac = mac;
  return out;
}

/** Master resolution is shared with ipvlan and vlan (@cni/ip). */
export { defaultRouteInterface, resolveMaster } from '@cni/ip';
