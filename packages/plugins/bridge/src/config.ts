// bridge configuration: every key of the reference with its default and validation
// (cni-reference §3.1). Pure: nothing here touches the kernel.
import {
  formatMAC,
  INT32_MAX,
  invalid,
  isUnicastMAC,
  isZeroMAC,
  optBool,
  optInt,
  optObject,
  optString,
  parseMAC,
  wrongType,
} from '@cni/ip';
import { CniError, ErrCode, getKey, type NetConf, parseCniArgs, parseNetConf } from '@cni/skel';

export interface BridgeConf extends NetConf {
  /** bridge name (default `cni0`) */
  bridge: string;
  isGateway: boolean;
  isDefaultGateway: boolean;
  forceAddress: boolean;
  ipMasq: boolean;
  /** undefined = detect (iptables, or nftables when only nftables is usable) */
  ipMasqBackend?: 'iptables' | 'nftables';
  /** 0 = the kernel's default */
  mtu: number;
  hairpinMode: boolean;
  promiscMode: boolean;
  /** 0 = no VLAN */
  vlan: number;
  /** sorted, unique VLAN IDs tagged on the port */
  vlanTrunk: number[];
  preserveDefaultVlan: boolean;
  macspoofchk: boolean;
  enabledad: boolean;
  disableContainerInterface: boolean;
  portIsolation: boolean;
  /** MAC of the container interface (CNI_ARGS < args < runtimeConfig) */
  mac?: string;
}

const IFNAME_RE = /^[^/\s:]{1,15}$/;

/** Parse the vlanTrunk array: `{id}` or `{minID, maxID}` entries, each 1–4094. */
export function parseVlanTrunk(v: unknown): number[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw wrongType('vlanTrunk', 'an array', v);
  const ids = new Set<number>();
  v.forEach((entry, i) => {
    const key = `vlanTrunk[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      throw wrongType(key, 'an object', entry);
    const o = entry as Record<string, unknown>;
    const id = optInt(o, 'id', -INT32_MAX - 1, INT32_MAX, `${key}.`);
    const min = optInt(o, 'minID', -INT32_MAX - 1, INT32_MAX, `${key}.`);
    const max = optInt(o, 'maxID', -INT32_MAX - 1, INT32_MAX, `${key}.`);
    if (min !== undefined || max !== undefined) {
      if (min === undefined) throw invalid(`${key}.minID`, null, 'minID and maxID must be set together');
      if (max === undefined) throw invalid(`${key}.maxID`, null, 'minID and maxID must be set together');
      if (min < 1 || min > 4094) throw invalid(`${key}.minID`, min, 'must be between 1 and 4094');
      if (max < 1 || max > 4094) throw invalid(`${key}.maxID`, max, 'must be between 1 and 4094');
      if (min > max) throw invalid(`${key}.minID`, min, `is greater than maxID ${max}`);
      for (let x = min; x <= max; x++) ids.add(x);
    }
    if (id !== undefined) {
      if (id < 1 || id > 4094) throw invalid(`${key}.id`, id, 'must be between 1 and 4094');
      ids.add(id);
    }
  });
  return [...ids].sort((a, b) => a - b);
}

/** Load and validate the configuration; `cniArgs` feed the MAC precedence. */
export function parseConf(stdin: Buffer | string, cniArgs: string): BridgeConf {
  const conf = parseNetConf(stdin);
  const raw = conf.raw;
  const bridge = optString(raw, 'bridge') || 'cni0';
  if (!IFNAME_RE.test(bridge) || bridge === '.' || bridge === '..')
    throw invalid('bridge', bridge, 'not a valid interface name');
  const backend = optString(raw, 'ipMasqBackend');
  if (backend !== '' && backend !== 'iptables' && backend !== 'nftables')
    throw invalid('ipMasqBackend', backend, 'must be "iptables" or "nftables"');
  const mtu = optInt(raw, 'mtu', -INT32_MAX - 1, INT32_MAX) ?? 0;
  if (mtu < 0) throw invalid('mtu', mtu, 'must not be negative');
  const vlan = optInt(raw, 'vlan', -INT32_MAX - 1, INT32_MAX) ?? 0;
  if (vlan < 0 || vlan > 4094) throw invalid('vlan', vlan, 'VLAN ID must be between 0 and 4094');
  const vlanTrunk = parseVlanTrunk(getKey(raw, 'vlanTrunk'));
  const isDefaultGateway = optBool(raw, 'isDefaultGateway');
  const out: BridgeConf = {
    ...conf,
    bridge,
    isDefaultGateway,
    isGateway: optBool(raw, 'isGateway') || isDefaultGateway,
    forceAddress: optBool(raw, 'forceAddress'),
    ipMasq: optBool(raw, 'ipMasq'),
    mtu,
    hairpinMode: optBool(raw, 'hairpinMode'),
    promiscMode: optBool(raw, 'promiscMode'),
    vlan,
    vlanTrunk,
    preserveDefaultVlan: optBool(raw, 'preserveDefaultVlan'),
    macspoofchk: optBool(raw, 'macspoofchk'),
    enabledad: optBool(raw, 'enabledad'),
    disableContainerInterface: optBool(raw, 'disableContainerInterface'),
    portIsolation: optBool(raw, 'portIsolation'),
  };
  if (backend) out.ipMasqBackend = backend;
  if (out.hairpinMode && out.promiscMode)
    throw new CniError(
      ErrCode.InvalidNetworkConfig,
      'cannot set "hairpinMode" and "promiscMode" at the same time',
    );
  if (out.disableContainerInterface && conf.ipam?.type)
    throw new CniError(
      ErrCode.InvalidNetworkConfig,
      `cannot use IPAM ("ipam.type" ${JSON.stringify(conf.ipam.type)}) when "disableContainerInterface" is true`,
    );
  const mac = resolveMac(raw, cniArgs);
  if (mac) out.mac = mac;
  return out;
}

/** True when the bridge needs VLAN filtering (a port VLAN or a trunk is configured). */
export const needsVlanFiltering = (c: BridgeConf): boolean => c.vlan !== 0 || c.vlanTrunk.length > 0;

/**
 * The MAC of the container interface, later sources winning: `CNI_ARGS` `MAC` <
 * `args.cni.mac` < `runtimeConfig.mac`. Each value is validated; errors name the source.
 * (@cni/ip's resolveMac has macvlan's sources: a config `mac`, no `args.cni.mac`.)
 */
export function resolveMac(raw: Record<string, unknown>, cniArgs: string): string | undefined {
  let mac = '';
  let from = '';
  if (cniArgs !== '') {
    const env = parseCniArgs(cniArgs, ['MAC']);
    if (env.MAC) {
      mac = env.MAC;
      from = 'CNI_ARGS MAC';
    }
  }
  const args = optObject(raw, 'args');
  const cni = args ? optObject(args, 'cni', 'args.') : undefined;
  const argMac = cni ? optString(cni, 'mac', 'args.cni.') : '';
  if (argMac) {
    mac = argMac;
    from = 'args.cni.mac';
  }
  const rc = optObject(raw, 'runtimeConfig');
  const rcMac = rc ? optString(rc, 'mac', 'runtimeConfig.') : '';
  if (rcMac) {
    mac = rcMac;
    from = 'runtimeConfig.mac';
  }
  if (!mac) return undefined;
  const bytes = parseMAC(mac);
  if (!bytes) throw invalid(from, mac, 'not a MAC address');
  if (!isUnicastMAC(bytes) || isZeroMAC(bytes)) throw invalid(from, mac, 'not a unicast MAC address');
  return formatMAC(bytes);
}
