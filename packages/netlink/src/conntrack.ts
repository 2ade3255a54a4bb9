// Conntrack entries through NETLINK_NETFILTER (ctnetlink): dump, then delete each match —
// what portmap does to drop stale UDP flows for a mapped port.
import type { NetNS } from '@cni/ns';
import { attrType } from './codec/attr.js';
import { AF_INET, AF_INET6, NETLINK_NETFILTER } from './codec/constants.js';
import { decodeBodyList, encodeBody, nfgenmsg } from './codec/message.js';
import { isNotFound, NetlinkError } from './errors.js';
import { NlSocket } from './socket.js';

const NFNL_SUBSYS_CTNETLINK = 1;
const IPCTNL_MSG_CT_GET = 1;
const IPCTNL_MSG_CT_DELETE = 2;
const CTA_TUPLE_ORIG = 1;
const CTA_ZONE = 18;
const CTA_TUPLE_PROTO = 2;
const CTA_PROTO_NUM = 1;
const CTA_PROTO_DST_PORT = 3;

const PROTO = { tcp: 6, udp: 17, sctp: 132 } as const;

/**
 * Delete the conntrack entries of `family` whose original tuple has protocol `proto` and
 * destination port `port`, in `ns` (default: here). Returns how many were deleted; entries
 * that vanished meanwhile are not counted and not an error.
 */
export function conntrackDeleteByDstPort(
  ns: NetNS | undefined,
  family: 4 | 6,
  proto: 'udp' | 'tcp' | 'sctp',
  port: number,
): number {
  const op = `conntrack delete -f ipv${family} -p ${proto} --dport ${port}`;
  if (family !== 4 && family !== 6) throw new NetlinkError(`${op}: invalid family ${String(family)}`, 22);
  const protoNum = PROTO[proto];
  if (protoNum === undefined) throw new NetlinkError(`${op}: invalid proto ${JSON.stringify(proto)}`, 22);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new NetlinkError(`${op}: invalid port ${String(port)}`, 22);
  const af = family === 4 ? AF_INET : AF_INET6;
  const sock = NlSocket.open(NETLINK_NETFILTER, ns);
  try {
    const hdr = { family: af, version: 0, resId: 0 };
    const dump = sock.dump(
      (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET,
      encodeBody(nfgenmsg, { hdr, attrs: [] }),
      op,
    );
    const victims = [];
    for (const m of dump) {
      const { attrs: a } = decodeBodyList(nfgenmsg, m.payload);
      const p = a.nested(CTA_TUPLE_ORIG)?.nested(CTA_TUPLE_PROTO);
      if (p?.u8(CTA_PROTO_NUM) !== protoNum || p.be16(CTA_PROTO_DST_PORT) !== port) continue;
      // Delete by the original tuple exactly as the kernel sent it (and its zone).
      victims.push(a.list.filter((x) => attrType(x) === CTA_TUPLE_ORIG || attrType(x) === CTA_ZONE));
    }
    let deleted = 0;
    for (const key of victims) {
      try {
        sock.ack(
          (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE,
          0,
          encodeBody(nfgenmsg, { hdr, attrs: key }),
          op,
        );
        deleted++;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return deleted;
  } finally {
    sock.close();
  }
}
