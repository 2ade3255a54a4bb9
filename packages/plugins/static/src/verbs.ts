// The static verbs on plain inputs: ADD returns the configured addresses, routes and DNS;
// DEL has nothing to release; CHECK compares the configuration with prevResult.
import { formatCIDR, formatIP, ipEqual, parseCIDR, parseIP } from '@cni/ip';
import { CniError, ErrCode } from '@cni/skel';
import { type DNS, loadStaticConfig, type Route } from './config.js';

type Obj = Record<string, unknown>;

export interface IPAMResult {
  cniVersion: string;
  ips: { address: string; gateway?: string }[];
  routes?: Route[];
  dns?: DNS;
}

export function add(stdin: Obj, cniArgs: string): IPAMResult {
  const conf = loadStaticConfig(stdin, cniArgs);
  const result: IPAMResult = {
    cniVersion: '1.1.0',
    ips: conf.addresses.map((a) =>
      a.gateway
        ? { address: formatCIDR(a.address), gateway: formatIP(a.gateway) }
        : { address: formatCIDR(a.address) },
    ),
  };
  if (conf.routes.length > 0) result.routes = conf.routes;
  if (Object.keys(conf.dns).length > 0) result.dns = conf.dns;
  return result;
}

/**
 * DEL: static allocates nothing, so there is nothing to release. As in the reference the
 * configuration is not even read: DEL must succeed for a config that no longer validates.
 */
export function del(_stdin: Obj, _cniArgs: string): void {}

/** CHECK: every configured address found in prevResult must carry the configured gateway. */
export function check(stdin: Obj, cniArgs: string, ifname: string): void {
  const conf = loadStaticConfig(stdin, cniArgs);
  const prev = stdin.prevResult;
  if (prev === undefined || prev === null)
    throw new CniError(ErrCode.InvalidNetworkConfig, 'Required prevResult missing');
  if (typeof prev !== 'object' || Array.isArray(prev)) {
    throw new CniError(
      ErrCode.DecodingFailure,
      `prevResult: expected an object, got ${JSON.stringify(prev)}`,
    );
  }
  const ips = (prev as Obj).ips;
  const list = Array.isArray(ips) ? ips : [];
  for (const a of conf.addresses) {
    for (const entry of list) {
      const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Obj;
      const addr = typeof e.address === 'string' ? parseCIDR(e.address) : undefined;
      if (!addr || !ipEqual(addr.ip, a.address.ip)) continue;
      if (!a.gateway) break;
      const gw = typeof e.gateway === 'string' ? parseIP(e.gateway) : undefined;
      if (ipEqual(gw, a.gateway)) break;
      throw new CniError(
        ErrCode.Internal,
        `static: Failed to match addr ${formatIP(addr.ip)} on interface ${ifname}`,
      );
    }
  }
}
