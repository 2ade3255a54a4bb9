// flanneld's per-node lease file, subnet.env (flannel.md §3).
import { readFileSync } from 'node:fs';
import { maskedCIDR } from './cidr.js';
import { fsErrorText } from './fs-errors.js';

/** The parsed lease. CIDRs are masked to their network and printed as Go prints them. */
export interface SubnetEnv {
  /** FLANNEL_NETWORK, in file order, exact duplicates dropped */
  networks: string[];
  /** FLANNEL_IPV6_NETWORK, in file order, exact duplicates dropped */
  ipv6Networks: string[];
  /** FLANNEL_SUBNET, masked */
  subnet?: string;
  /** FLANNEL_IPV6_SUBNET, masked */
  ipv6Subnet?: string;
  /** FLANNEL_MTU */
  mtu: number;
  /** FLANNEL_IPMASQ: true only for exactly `true` */
  ipMasq: boolean;
}

const KNOWN = new Set([
  'FLANNEL_NETWORK',
  'FLANNEL_SUBNET',
  'FLANNEL_IPV6_NETWORK',
  'FLANNEL_IPV6_SUBNET',
  'FLANNEL_MTU',
  'FLANNEL_IPMASQ',
]);

function parseNetworks(value: string): string[] {
  const out: string[] = [];
  for (const c of value.split(',')) {
    const n = maskedCIDR(c);
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/** strconv.ParseUint(s, 10, 32) with Go's error text. */
function parseUint32(s: string): number {
  if (!/^[0-9]+$/.test(s)) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = Number(s);
  if (n > 0xffffffff) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(s)}: value out of range`);
  return n;
}

/**
 * Parse the text of a subnet.env named `path` (used in messages). Throws an Error with the
 * reference's text: a bad CIDR or MTU, a known key without `=`, or `<path> is missing <keys>`.
 */
export function parseSubnetEnv(text: string, path: string): SubnetEnv {
  let networks: string[] | undefined;
  let ipv6Networks: string[] | undefined;
  let subnet: string | undefined;
  let ipv6Subnet: string | undefined;
  let mtu: number | undefined;
  let ipMasq: boolean | undefined;
  // bufio.ScanLines: split on \n, drop one trailing \r; a final line without \n counts.
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const eq = line.indexOf('=');
    const key = eq === -1 ? line : line.slice(0, eq);
    if (!KNOWN.has(key)) continue;
    if (eq === -1)
      throw new Error(`${path}: line ${JSON.stringify(line)} has no value (expected ${key}=...)`);
    const value = line.slice(eq + 1);
    switch (key) {
      case 'FLANNEL_NETWORK':
        networks = parseNetworks(value);
        break;
      case 'FLANNEL_IPV6_NETWORK':
        ipv6Networks = parseNetworks(value);
        break;
      case 'FLANNEL_SUBNET':
        subnet = maskedCIDR(value);
        break;
      case 'FLANNEL_IPV6_SUBNET':
        ipv6Subnet = maskedCIDR(value);
        break;
      case 'FLANNEL_MTU':
        mtu = parseUint32(value);
        break;
      case 'FLANNEL_IPMASQ':
        ipMasq = value === 'true';
        break;
    }
  }
  const missing: string[] = [];
  if (!networks?.length && !ipv6Networks?.length) missing.push('FLANNEL_NETWORK', 'FLANNEL_IPV6_NETWORK');
  if (subnet === undefined && ipv6Subnet === undefined) missing.push('FLANNEL_SUBNET', 'FLANNEL_IPV6_SUBNET');
  if (mtu === undefined) missing.push('FLANNEL_MTU');
  if (ipMasq === undefined) missing.push('FLANNEL_IPMASQ');
  if (missing.length > 0 || mtu === undefined || ipMasq === undefined) {
    throw new Error(`${path} is missing ${missing.join(', ')}`);
  }
  const env: SubnetEnv = { networks: networks ?? [], ipv6Networks: ipv6Networks ?? [], mtu, ipMasq };
  if (subnet !== undefined) env.subnet = subnet;
  if (ipv6Subnet !== undefined) env.ipv6Subnet = ipv6Subnet;
  return env;
}

/** Read and parse `path`; a read failure reads like Go's (`open <path>: no such file or directory`). */
export function loadSubnetEnv(path: string): SubnetEnv {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(fsErrorText('open', path, e));
  }
  return parseSubnetEnv(text, path);
}
