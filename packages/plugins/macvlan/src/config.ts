// macvlan configuration: the reference's keys, defaults and precedence (cni-reference §3.3).
// parseConf is pure (no kernel); resolveMaster looks the master up.
import { linkByNameOrUndefined } from '@cni/ip';
import { type Link, Netlink } from '@cni/netlink';
import type { NetNS } from '@cni/ns';
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

/** The interface of the first default route (IPv4 first, then IPv6) seen through `nl`. */
export function defaultRouteInterface(nl: Netlink): Link {
  for (const family of [4, 6] as const) {
    for (const r of nl.routeList({ family })) {
      if (r.dst !== undefined && !r.dst.endsWith('/0')) continue;
      const oif = r.oif ?? r.multipath?.[0]?.oif;
      if (oif !== undefined) return nl.linkByIndex(oif);
    }
  }
  throw new CniError(ErrCode.Internal, 'no default route interface found');
}

/**
 * Fill in `master` when it is not configured: the single named interface of prevResult when
 * chained (issue #901, as ipvlan does), else the default-route interface of the namespace the
 * master lives in. Then check it exists and bound the MTU by its MTU. Returns the master link.
 */
export function resolveMaster(conf: MacvlanConf, hostNs: NetNS | undefined, contNs: NetNS | undefined): Link {
  const where = conf.linkInContainer ? contNs : hostNs;
  const nl = Netlink.open(where);
  try {
    if (conf.master === '') {
      if (conf.prevResult) {
        const ifs = conf.prevResult.interfaces ?? [];
        if (ifs.length !== 1 || !ifs[0]?.name) {
          throw new CniError(
            ErrCode.InvalidNetworkConfig,
            'chained master failure. PrevResult lacks a single named interface',
          );
        }
        conf.master = ifs[0].name;
      } else {
        conf.master = defaultRouteInterface(nl).name;
      }
    }
    const m = linkByNameOrUndefined(nl, conf.master);
    if (!m) {
      throw new CniError(
        ErrCode.InvalidNetworkConfig,
        `failed to lookup master ${JSON.stringify(conf.master)}: Link not found`,
      );
    }
    if (conf.mtu > m.mtu) {
      throw new CniError(
        ErrCode.InvalidNetworkConfig,
        `invalid MTU ${conf.mtu}, must be [0, master MTU(${m.mtu})]`,
      );
    }
    return m;
  } finally {
    nl.close();
  }
}
