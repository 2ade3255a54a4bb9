// ptp configuration (cni-reference §3.5): ipMasq, ipMasqBackend, mtu, dns; IPAM is required.
import { INT32_MAX, invalid, optBool, optInt, optString } from '@cni/ip';
import { CniError, ErrCode, type NetConf, parseNetConf } from '@cni/skel';

export interface PtpConf extends NetConf {
  ipMasq: boolean;
  /** undefined = detect (iptables, or nftables when only nftables is usable) */
  ipMasqBackend?: 'iptables' | 'nftables';
  /** 0 = the kernel's default */
  mtu: number;
}

/** Load and validate; `forDel` skips the IPAM requirement so that DEL never fails on it. */
export function parseConf(stdin: Buffer | string, forDel = false): PtpConf {
  const conf = parseNetConf(stdin);
  const raw = conf.raw;
  const backend = optString(raw, 'ipMasqBackend');
  if (backend !== '' && backend !== 'iptables' && backend !== 'nftables')
    throw invalid('ipMasqBackend', backend, 'must be "iptables" or "nftables"');
  const mtu = optInt(raw, 'mtu', -INT32_MAX - 1, INT32_MAX) ?? 0;
  if (mtu < 0) throw invalid('mtu', mtu, 'must not be negative');
  if (!forDel && !conf.ipam?.type)
    throw new CniError(ErrCode.InvalidNetworkConfig, 'ptp needs an IPAM plugin: "ipam.type" is not set');
  const out: PtpConf = { ...conf, ipMasq: optBool(raw, 'ipMasq'), mtu };
  if (backend) out.ipMasqBackend = backend;
  return out;
}
