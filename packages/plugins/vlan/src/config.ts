// vlan configuration: the reference's keys and defaults (cni-reference §3.4). parseConf is
// pure (no kernel); the master's existence and MTU bound are checked by @cni/ip's resolveMaster.
import { INT32_MAX, invalid, optBool, optInt, optString } from '@cni/ip';
import { CniError, ErrCode, type NetConf, parseNetConf } from '@cni/skel';

export interface VlanConf extends NetConf {
  master: string;
  /** 802.1Q VLAN ID, 0–4094 (0 = priority tagging only) */
  vlanId: number;
  /** 0 = the kernel's default (the master's MTU) */
  mtu: number;
  linkInContainer: boolean;
}

/** Parse and validate everything that needs no kernel (everything but the master's MTU). */
export function parseConf(stdin: Buffer | string): VlanConf {
  const conf = parseNetConf(stdin);
  const raw = conf.raw;
  const master = optString(raw, 'master');
  if (master === '') {
    throw new CniError(
      ErrCode.InvalidNetworkConfig,
      '"master" field is required. It specifies the host interface name to create the VLAN for',
    );
  }
  const vlanId = optInt(raw, 'vlanId', -(INT32_MAX + 1), INT32_MAX) ?? 0;
  if (vlanId < 0 || vlanId > 4094) throw invalid('vlanId', vlanId, 'must be in [0, 4094]');
  const mtu = optInt(raw, 'mtu', -(INT32_MAX + 1), INT32_MAX) ?? 0;
  if (mtu < 0) throw invalid('mtu', mtu, 'must be in [0, master MTU]');
  if (!conf.ipam?.type) {
    throw new CniError(ErrCode.InvalidNetworkConfig, 'vlan interface requires an IPAM configuration');
  }
  return { ...conf, master, vlanId, mtu, linkInContainer: optBool(raw, 'linkInContainer') };
}
