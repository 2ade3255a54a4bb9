// ConfigureIface as the reference's pkg/ipam does it (cni-reference §3.0), inside the
// container netns: addresses, link up, DAD settle (only with an IPv6 gateway), routes.
import { type Link, Netlink } from '@cni/netlink';
import { type NetNS, sysctlGetIn, sysctlSetIn } from '@cni/ns';
import type { Result } from '@cni/skel';

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/** Block the thread (a plugin is synchronous by design; nothing else is waiting). */
export function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

const isV6 = (ip: string): boolean => ip.includes(':');

export interface ConfigureIfaceOptions {
  /** an already open handle in `ns` (else one is opened and closed here) */
  netlink?: Netlink;
  /** DAD wait limit in ms (default 5000, as the reference) */
  settleTimeoutMs?: number;
}

/**
 * Configure `ifName` in `ns` from an IPAM result: every IP whose `interface` index points
 * at `ifName` is added, the link is set up, IPv6 DAD is awaited when there is an IPv6
 * gateway, and every route is added (gateway defaulting to the family's first gateway,
 * with metric/table/scope, appended so that ECMP routes to one prefix coexist).
 */
export function configureIface(
  ns: NetNS,
  ifName: string,
  result: Result,
  opts: ConfigureIfaceOptions = {},
): void {
  if (!result.interfaces || result.interfaces.length === 0) throw new Error('no interfaces to configure');
  const nl = opts.netlink ?? Netlink.open(ns);
  try {
    let link: Link;
    try {
      link = nl.linkByName(ifName);
    } catch (err) {
      throw new Error(`failed to lookup ${JSON.stringify(ifName)}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    let v4gw: string | undefined;
    let v6gw: string | undefined;
    let hasEnabledIpv6 = false;
    for (const ipc of result.ips ?? []) {
      if (ipc.interface === undefined) continue;
      const idx = ipc.interface;
      if (idx < 0 || idx >= result.interfaces.length || result.interfaces[idx]?.name !== ifName) {
        throw new Error(
          `failed to add IP addr ${ipc.address} to ${JSON.stringify(ifName)}: invalid interface index`,
        );
      }
      const v6 = isV6(ipc.address);
      if (v6 && !hasEnabledIpv6) {
        enableIPv6(ns, ifName);
        hasEnabledIpv6 = true;
      }
      try {
        nl.addrAdd(link.index, ipc.address);
      } catch (err) {
        throw new Error(
          `failed to add IP addr ${ipc.address} to ${JSON.stringify(ifName)}: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
      if (ipc.gateway !== undefined) {
        if (!v6 && v4gw === undefined) v4gw = ipc.gateway;
        else if (v6 && v6gw === undefined) v6gw = ipc.gateway;
      }
    }
    try {
      nl.linkSetUp(link.index);
    } catch (err) {
      throw new Error(`failed to set ${JSON.stringify(ifName)} UP: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (v6gw !== undefined) settleAddresses(nl, ifName, opts.settleTimeoutMs ?? 5000);
    for (const r of result.routes ?? []) {
      const routeIsV4 = !isV6(r.dst);
      const gw = r.gw ?? (routeIsV4 ? v4gw : v6gw);
      try {
        nl.routeAdd(
          {
            family: routeIsV4 ? 4 : 6,
            dst: r.dst,
            oif: link.index,
            ...(gw !== undefined ? { gw } : {}),
            ...(r.priority ? { priority: r.priority } : {}),
            ...(r.table !== undefined ? { table: r.table } : {}),
            ...(r.scope !== undefined ? { scope: r.scope } : {}),
          },
          'append',
        );
      } catch (err) {
        throw new Error(
          `failed to add route '${r.dst} via ${gw ?? '<nil>'} dev ${ifName}': ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    }
  } finally {
    if (!opts.netlink) nl.close();
  }
}

/**
 * Before the first IPv6 address: disable_ipv6=0 on lo and the interface when not already
 * (a read failure is only logged) and keep_addr_on_down=1, so a later down/up keeps them.
 * Keys use `/` so interface names with dots (VLANs) work.
 */
function enableIPv6(ns: NetNS, ifName: string): void {
  for (const iface of ['lo', ifName]) {
    const key = `net/ipv6/conf/${iface}/disable_ipv6`;
    let value: string;
    try {
      value = sysctlGetIn(ns, key);
    } catch (err) {
      process.stderr.write(`ipam: failed to read sysctl ${JSON.stringify(key)}: ${(err as Error).message}\n`);
      continue;
    }
    if (value === '0') continue;
    try {
      sysctlSetIn(ns, key, '0');
    } catch (err) {
      throw new Error(
        `failed to enable IPv6 for interface ${JSON.stringify(iface)} (${key}=${value}): ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }
  const keep = `net/ipv6/conf/${ifName}/keep_addr_on_down`;
  try {
    sysctlSetIn(ns, keep, '1');
  } catch (err) {
    throw new Error(`failed to set ${keep}=1: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Wait until the interface's IPv6 addresses leave "tentative" (DAD), polling every 50 ms.
 * DADFAILED is an error; a timeout is an error only while the link is operationally up.
 */
export function settleAddresses(nl: Netlink, ifName: string, timeoutMs = 5000): void {
  const link = nl.linkByName(ifName);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let tentative = false;
    for (const a of nl.addrList({ index: link.index, family: 6 })) {
      if (a.dadFailed) throw new Error(`link ${ifName} has address ${a.address} in DADFAILED state`);
      if (a.tentative) tentative = true;
    }
    if (!tentative) return;
    if (Date.now() >= deadline) {
      const now = nl.linkByIndex(link.index);
      if (now.operState !== 'up') return;
      throw new Error(
        `link ${ifName} still has tentative addresses after ${Math.round(timeoutMs / 1000)} seconds`,
      );
    }
    sleepSync(50);
  }
}
