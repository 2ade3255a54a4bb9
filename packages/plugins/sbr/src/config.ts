// sbr configuration and the pure parts of its routing logic (cni-reference §3.18): which
// addresses of prevResult belong to CNI_IFNAME, the table choice, which routes follow an
// address into its table. Nothing here touches the kernel.
import {
  canonicalCIDR,
  containsIP,
  formatIP,
  type IP,
  type IPNet,
  invalid,
  optBool,
  optInt,
  parseCIDR,
  parseIP,
  UINT32_MAX,
  wrongType,
} from '@cni/ip';
import { CniError, ErrCode, getKey, type IPConfig, type NetConf, parseNetConf, type Result } from '@cni/skel';

/** The first table the automatic choice considers. */
export const FIRST_TABLE_ID = 100;

export interface SbrConf extends NetConf {
  /** A fixed table: only `from <ip> lookup <table>` rules are added. undefined = automatic. */
  table?: number;
  /** Static gateways (at most one IPv4 and one IPv6) used instead of the prevResult's. */
  gatewayV4?: string;
  gatewayV6?: string;
  /** Keep subnet routes in main with `src <ip>` so unsourced traffic still works. */
  addSourceHints: boolean;
}

/** Parse and validate the whole configuration before anything is created. */
export function parseConf(stdin: Buffer | string): SbrConf {
  const conf = parseNetConf(stdin);
  const raw = conf.raw;
  const out: SbrConf = { ...conf, addSourceHints: optBool(raw, 'addSourceHints') };
  const table = optInt(raw, 'table', -(2 ** 63), 2 ** 63);
  if (table !== undefined) {
    if (table < 1 || table > UINT32_MAX) throw invalid('table', table, `must be in [1, ${UINT32_MAX}]`);
    out.table = table;
  }
  const gws = getKey(raw, 'gateways');
  if (gws !== undefined && gws !== null) {
    if (!Array.isArray(gws) || gws.some((g) => typeof g !== 'string')) {
      throw wrongType('gateways', 'an array of strings', gws);
    }
    if (gws.length > 2) {
      throw new CniError(
        ErrCode.InvalidNetworkConfig,
        `gateways list cannot contain more than 2 entries (one IPv4, one IPv6): ${JSON.stringify(gws)}`,
      );
    }
    for (const g of gws as string[]) {
      const ip = parseIP(g);
      if (!ip) {
        throw new CniError(
          ErrCode.InvalidNetworkConfig,
          `invalid static gateway IP address: ${JSON.stringify(g)}`,
        );
      }
      const key = ip.family === 4 ? 'gatewayV4' : 'gatewayV6';
      const have = out[key];
      if (have !== undefined) {
        throw new CniError(
          ErrCode.InvalidNetworkConfig,
          `gateways list contains multiple IPv${ip.family} addresses: ${have} and ${g}`,
        );
      }
      out[key] = g;
    }
  }
  return out;
}

/** An address of prevResult that sbr routes: the host address and its subnet. */
export interface SbrIP {
  /** the address with its prefix, as in the result (`10.1.0.5/24`) */
  cidr: string;
  ip: IP;
  /** the address with its prefix (host bits kept) */
  net: IPNet;
  gateway?: string;
}

/**
 * The addresses of prevResult on `ifName`: those whose `interface` index names it, and those
 * with no index (the reference assumes a match). An index out of range is kept, as there.
 */
export function relevantIPs(prev: Result, ifName: string): SbrIP[] {
  const ips = prev.ips ?? [];
  if (ips.length === 0) {
    throw new CniError(ErrCode.Internal, `No IP addresses supplied on interface: ${ifName}`);
  }
  const ifs = prev.interfaces ?? [];
  const out: SbrIP[] = [];
  for (const c of ips) {
    if (c.interface !== undefined && c.interface >= 0 && c.interface < ifs.length) {
      if (ifs[c.interface]?.name !== ifName) continue;
    }
    out.push(toSbrIP(c));
  }
  return out;
}

function toSbrIP(c: IPConfig): SbrIP {
  const net = parseCIDR(c.address);
  if (!net)
    throw new CniError(ErrCode.Internal, `invalid address in prevResult: ${JSON.stringify(c.address)}`);
  const out: SbrIP = { cidr: c.address, ip: net.ip, net };
  if (c.gateway) out.gateway = c.gateway;
  return out;
}

/** The first table ≥ `from` that is not in `used`. */
export function nextFreeTable(used: ReadonlySet<number>, from: number): number {
  let t = from;
  while (used.has(t)) t++;
  return t;
}

/** The gateway of the default route in an address's table: the static one of its family first. */
export function gatewayFor(conf: SbrConf, a: SbrIP): string | undefined {
  const fixed = a.ip.family === 4 ? conf.gatewayV4 : conf.gatewayV6;
  return fixed ?? a.gateway;
}

/** Whether `text` (an address, possibly undefined) lies in the address's subnet. */
function inSubnet(a: SbrIP, text: string | undefined): boolean {
  if (text === undefined) return false;
  const ip = parseIP(text);
  return ip !== undefined && ip.family === a.ip.family && containsIP(a.net, ip);
}

/**
 * Whether a main-table route of the interface is copied into the address's table: its source or
 * gateway lies in the address's subnet, or it has neither (a generic route, of any family).
 */
export function routeFollows(a: SbrIP, r: { src?: string; gw?: string }): boolean {
  if (inSubnet(a, r.src) || inSubnet(a, r.gw)) return true;
  return r.src === undefined && r.gw === undefined;
}

/** The subnet of an address, host bits cleared (`10.1.0.0/24`). */
export function subnetOf(a: SbrIP): string {
  return canonicalCIDR(a.net);
}

/** The address alone as a rule's source (`/32` or `/128`). */
export function hostSource(a: SbrIP): string {
  return `${formatIP(a.ip)}/${a.ip.family === 4 ? 32 : 128}`;
}
