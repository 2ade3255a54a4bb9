// CHECK helpers (reference ValidateExpectedInterfaceIPs / ValidateExpectedRoute): run
// against a handle in the container netns.
import type { Netlink } from '@cni/netlink';
import type { IPConfig, Route } from '@cni/skel';
import { formatCIDR, ipEqual, networkOf, parseCIDR, parseIP } from './cidr.js';

/** Every result IP is on `ifName`, and a route to its prefix exists. */
export function validateExpectedInterfaceIPs(
  nl: Netlink,
  ifName: string,
  resultIPs: readonly IPConfig[],
): void {
  for (const ipc of resultIPs) {
    let index: number;
    try {
      index = nl.linkByName(ifName).index;
    } catch {
      throw new Error(`Cannot find container link ${ifName}`);
    }
    const want = parseCIDR(ipc.address);
    if (!want) throw new Error(`invalid address ${JSON.stringify(ipc.address)}`);
    const wantText = formatCIDR(want);
    const match = nl.addrList({ index }).some((a) => {
      const have = parseCIDR(a.address);
      return have !== undefined && formatCIDR(have) === wantText;
    });
    if (!match) throw new Error(`Failed to match addr ${wantText} on interface ${ifName}`);
    const prefix = formatCIDR(networkOf(want));
    const found = nl
      .routeList({ family: want.ip.family })
      .some((r) => r.dst !== undefined && sameCIDR(r.dst, prefix));
    if (!found) throw new Error(`Failed to find Gateway ${ipc.gateway ?? '<nil>'} for interface ${ifName}`);
  }
}

function sameCIDR(a: string, b: string): boolean {
  const x = parseCIDR(a);
  const y = parseCIDR(b);
  return x !== undefined && y !== undefined && formatCIDR(networkOf(x)) === formatCIDR(networkOf(y));
}

const sameIP = (a: string | undefined, b: string | undefined): boolean =>
  a !== undefined && b !== undefined && ipEqual(parseIP(a), parseIP(b));

const describeRoute = (r: Route): string => `{Dst:${r.dst} GW:${r.gw ?? '<nil>'}}`;

/**
 * Every result route is in the main table: matched by destination and gateway; a default
 * route is matched as "some default route" (the reference filters on Dst only for those).
 */
export function validateExpectedRoute(nl: Netlink, resultRoutes: readonly Route[]): void {
  for (const route of resultRoutes) {
    const dst = parseCIDR(route.dst);
    if (!dst) throw new Error(`Invalid static route found ${describeRoute(route)}`);
    const family = dst.ip.family;
    const isDefault = dst.prefix === 0;
    const want = formatCIDR(networkOf(dst));
    let routes: ReturnType<Netlink['routeList']>;
    try {
      routes = nl.routeList({ family });
    } catch (err) {
      throw new Error(
        `Expected Route ${describeRoute(route)} not route table lookup error ${(err as Error).message}`,
      );
    }
    const found = routes.some((r) => {
      if (isDefault) return r.dst === undefined || r.dst.endsWith('/0');
      if (r.dst === undefined || !sameCIDR(r.dst, want)) return false;
      if (route.gw === undefined) return r.gw === undefined;
      return sameIP(r.gw, route.gw) || r.multipath?.some((h) => sameIP(h.gw, route.gw)) === true;
    });
    if (!found) throw new Error(`Expected Route ${describeRoute(route)} not found in routing table`);
  }
}
