// One read-only nf_tables question over NETLINK_NETFILTER: does a table exist? Plugins ask it
// before tearing down nftables rules, so that a DEL on a node without the table (the usual case
// when iptables is the backend) does not load libnftables (~6 ms) to learn that nothing is there.
import type { NetNS } from '@cni/ns';
import { attr } from './codec/attr.js';
import { NETLINK_NETFILTER } from './codec/constants.js';
import { encodeBody, nfgenmsg } from './codec/message.js';
import { NetlinkError } from './errors.js';
import { NlSocket } from './socket.js';

const NFNL_SUBSYS_NFTABLES = 10;
const NFT_MSG_GETTABLE = 1;
const NFTA_TABLE_NAME = 1;

/** nftables address families (NFPROTO_*). */
export const NFT_FAMILY = { inet: 1, ip: 2, arp: 3, netdev: 5, bridge: 7, ip6: 10 } as const;
export type NftFamily = keyof typeof NFT_FAMILY;

/**
 * Whether the nftables table `family name` exists in `ns` (default: here): true or false, or
 * undefined when the kernel cannot say (no nf_tables, no permission): then callers do what
 * they would do without asking.
 */
export function nftTableExists(ns: NetNS | undefined, family: NftFamily, name: string): boolean | undefined {
  let sock: NlSocket;
  try {
    sock = NlSocket.open(NETLINK_NETFILTER, ns);
  } catch {
    return undefined;
  }
  try {
    const payload = encodeBody(nfgenmsg, {
      hdr: { family: NFT_FAMILY[family], version: 0, resId: 0 },
      attrs: [attr.str(NFTA_TABLE_NAME, name)],
    });
    sock.get((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE, payload, `nft list table ${family} ${name}`);
    return true;
  } catch (err) {
    if (err instanceof NetlinkError && err.code === 'ENOENT') return false;
    return undefined;
  } finally {
    sock.close();
  }
}
