// tap configuration (cni-reference §3.9).
import { type NetConf, parseNetConf } from '@cni/skel';
import { INT32_MAX, invalid, optBool, optInt, optString, resolveMac, UINT32_MAX } from '@cni/ip';

export interface TapConf extends NetConf {
  multiQueue: boolean;
  /** 0 = the kernel's default (1500) */
  mtu: number;
  mac?: string;
  /** uid allowed to open the queue(s); undefined = only CAP_NET_ADMIN */
  owner?: number;
  group?: number;
  selinuxContext: string;
  /** a bridge inside the container namespace to attach the tap to; '' = none */
  bridge: string;
}

export function parseConf(stdin: Buffer | string, cniArgs: string): TapConf {
  const conf = parseNetConf(stdin);
  const raw = conf.raw;
  const mtu = optInt(raw, 'mtu', -(INT32_MAX + 1), INT32_MAX) ?? 0;
  if (mtu < 0) throw invalid('mtu', mtu, 'must not be negative');
  if (mtu > 0 && mtu < 68) throw invalid('mtu', mtu, 'must be at least 68');
  // Go's *uint32: null is "not set", 4294967295 would be the kernel's "no owner" sentinel.
  const owner = optInt(raw, 'owner', 0, UINT32_MAX - 1);
  const group = optInt(raw, 'group', 0, UINT32_MAX - 1);
  const bridge = optString(raw, 'bridge');
  if (bridge && (bridge.length > 15 || /[/:\s]/.test(bridge) || bridge === '.' || bridge === '..')) {
    throw invalid('bridge', bridge, 'not a valid interface name');
  }
  const out: TapConf = {
    ...conf,
    multiQueue: optBool(raw, 'multiQueue'),
    mtu,
    selinuxContext: optString(raw, 'selinuxContext'),
    bridge,
  };
  if (owner !== undefined) out.owner = owner;
  if (group !== undefined) out.group = group;
  const mac = resolveMac(raw, cniArgs);
  if (mac) out.mac = mac;
  return out;
}
