// Traffic control: qdiscs (tbf, ingress) and a u32 filter with a mirred redirect — what the
// bandwidth plugin needs. RTM_{NEW,DEL,GET}QDISC / RTM_NEWTFILTER with struct tcmsg.
import { type Attr, attr } from './codec/attr.js';
import * as C from './codec/constants.js';
import { decodeBodyList, encodeBody, NLM_F_CREATE, NLM_F_EXCL, type NlMsg, tcmsg } from './codec/message.js';
import { NetlinkError } from './errors.js';
import type { NlSocket } from './socket.js';

export interface Qdisc {
  index: number;
  handle: number;
  parent: number;
  kind: string;
  tbf?: { rate: number; buffer: number; limit: number; burst?: number };
}

export function decodeQdisc(m: NlMsg): Qdisc {
  const { hdr, attrs: a } = decodeBodyList(tcmsg, m.payload);
  const q: Qdisc = {
    index: hdr.index,
    handle: hdr.handle,
    parent: hdr.parent,
    kind: a.str(C.TCA_KIND) ?? '',
  };
  if (q.kind === 'tbf') {
    const o = a.nested(C.TCA_OPTIONS);
    const p = o?.get(C.TCA_TBF_PARMS);
    if (o && p && p.length >= 36) {
      const rate64 = o.u64(C.TCA_TBF_RATE64);
      q.tbf = {
        rate: rate64 !== undefined ? Number(rate64) : p.readUInt32LE(8),
        limit: p.readUInt32LE(24),
        buffer: p.readUInt32LE(28),
      };
      const burst = o.u32(C.TCA_TBF_BURST);
      if (burst !== undefined) q.tbf.burst = burst;
    }
  }
  return q;
}

function checkIndex(op: string, index: number): void {
  if (!Number.isInteger(index) || index <= 0)
    throw new NetlinkError(`${op}: invalid link index ${String(index)}`, 22);
}

function u32(op: string, key: string, v: unknown, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 0xffffffff) {
    throw new NetlinkError(`${op}: invalid ${key} ${String(v)}`, 22);
  }
  return v;
}

export function qdiscList(sock: NlSocket, index?: number): Qdisc[] {
  const body = encodeBody(tcmsg, { hdr: { family: 0, index: 0, handle: 0, parent: 0, info: 0 }, attrs: [] });
  return sock
    .dump(C.RTM_GETQDISC, body, 'qdisc list')
    .map(decodeQdisc)
    .filter((q) => index === undefined || q.index === index);
}

export interface TbfOptions {
  parent?: 'root';
  handle: number;
  /** bytes per second */
  rate: number;
  /** ticks (psched units), as the reference computes them */
  buffer: number;
  /** bytes */
  limit: number;
  /** bytes; when set the kernel uses it instead of `buffer` */
  burst?: number;
}

/**
 * Add a tbf qdisc. Like the reference (vishvananda/netlink), sends TCA_TBF_PARMS with the
 * 32-bit rate, TCA_TBF_RATE64 when the rate does not fit, and no rate table: the kernel
 * computes rates itself and needs none.
 */
export function qdiscAddTbf(sock: NlSocket, index: number, opts: TbfOptions): void {
  const op = `qdisc add dev ${index} root tbf rate ${opts.rate}`;
  checkIndex(op, index);
  if (opts.parent !== undefined && opts.parent !== 'root')
    throw new NetlinkError(`${op}: invalid parent ${JSON.stringify(opts.parent)}`, 22);
  const handle = u32(op, 'handle', opts.handle);
  if (!Number.isSafeInteger(opts.rate) || opts.rate <= 0)
    throw new NetlinkError(`${op}: invalid rate ${String(opts.rate)}`, 22);
  const buffer = u32(op, 'buffer', opts.buffer, 1);
  const limit = u32(op, 'limit', opts.limit);
  const parms = Buffer.alloc(36);
  // struct tc_tbf_qopt { tc_ratespec rate; tc_ratespec peakrate; u32 limit, buffer, mtu }
  parms.writeUInt32LE(opts.rate >= 2 ** 32 ? 0xffffffff : opts.rate, 8);
  parms.writeUInt32LE(limit, 24);
  parms.writeUInt32LE(buffer, 28);
  const options: Attr[] = [attr.bytes(C.TCA_TBF_PARMS, parms)];
  if (opts.rate >= 2 ** 32) options.push(attr.u64(C.TCA_TBF_RATE64, BigInt(opts.rate)));
  if (opts.burst !== undefined) options.push(attr.u32(C.TCA_TBF_BURST, u32(op, 'burst', opts.burst, 1)));
  const body = encodeBody(tcmsg, {
    hdr: { family: 0, index, handle, parent: C.TC_H_ROOT, info: 0 },
    attrs: [attr.str(C.TCA_KIND, 'tbf'), attr.nest(C.TCA_OPTIONS, options)],
  });
  sock.ack(C.RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, body, op);
}

export function qdiscAddIngress(sock: NlSocket, index: number): void {
  const op = `qdisc add dev ${index} ingress`;
  checkIndex(op, index);
  const body = encodeBody(tcmsg, {
    hdr: { family: 0, index, handle: 0xffff0000, parent: C.TC_H_INGRESS, info: 0 },
    attrs: [attr.str(C.TCA_KIND, 'ingress'), attr.nest(C.TCA_OPTIONS, [])],
  });
  sock.ack(C.RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, body, op);
}

export function qdiscDel(sock: NlSocket, index: number, parent: 'root' | 'ingress'): void {
  const op = `qdisc del dev ${index} ${parent}`;
  checkIndex(op, index);
  if (parent !== 'root' && parent !== 'ingress')
    throw new NetlinkError(`${op}: invalid parent ${JSON.stringify(parent)}`, 22);
  const body = encodeBody(tcmsg, {
    hdr: {
      family: 0,
      index,
      handle: parent === 'ingress' ? 0xffff0000 : 0,
      parent: parent === 'root' ? C.TC_H_ROOT : C.TC_H_INGRESS,
      info: 0,
    },
    attrs: [],
  });
  sock.ack(C.RTM_DELQDISC, 0, body, op);
}

export interface MirredRedirectOptions {
  /**
   * The control verdict of each mirred redirect action, in order (default `['stolen']`). The
   * Go reference's bandwidth plugin (vishvananda/netlink, RedirIndex plus an explicit action)
   * installs `['stolen', 'pass']`.
   */
  controls?: readonly ('stolen' | 'pass')[];
}

/**
 * `tc filter add dev <index> parent <parentHandle> protocol all prio 1 u32 match u32 0 0
 * classid 1:1 action mirred egress redirect dev <target>` — the filter the bandwidth plugin
 * puts on the host veth's ingress to send traffic through its ifb. `opts.controls` lists one
 * mirred redirect action per entry with that control verdict (default one, `stolen`).
 */
export function filterAddU32MirredRedirect(
  sock: NlSocket,
  index: number,
  parentHandle: number,
  targetIndex: number,
  opts: MirredRedirectOptions = {},
): void {
  const op = `filter add dev ${index} parent ${(parentHandle >>> 16).toString(16)}: u32 action mirred egress redirect dev ${targetIndex}`;
  checkIndex(op, index);
  checkIndex(op, targetIndex);
  const parent = u32(op, 'parentHandle', parentHandle);
  // struct tc_u32_sel (16 bytes) with one all-zero key (16 bytes): match everything.
  const sel = Buffer.alloc(16 + 16);
  sel.writeUInt8(C.TC_U32_TERMINAL, 0);
  sel.writeUInt8(1, 2); // nkeys
  const controls = opts.controls ?? ['stolen'];
  if (!Array.isArray(controls) || controls.length === 0 || controls.length > 32)
    throw new NetlinkError(`${op}: invalid controls ${JSON.stringify(controls)}`, 22);
  const actions = controls.map((c, i) => {
    const verdict = c === 'stolen' ? C.TC_ACT_STOLEN : c === 'pass' ? C.TC_ACT_OK : undefined;
    if (verdict === undefined) throw new NetlinkError(`${op}: invalid control ${JSON.stringify(c)}`, 22);
    // struct tc_mirred { tc_gen: index, capab, action, refcnt, bindcnt; eaction; ifindex }
    const mirred = Buffer.alloc(28);
    mirred.writeInt32LE(verdict, 8);
    mirred.writeInt32LE(C.TCA_EGRESS_REDIR, 20);
    mirred.writeUInt32LE(targetIndex, 24);
    // actions are numbered from 1 (TCA_ACT_TAB) in the order they run
    return attr.nest(i + 1, [
      attr.str(C.TCA_ACT_KIND, 'mirred'),
      attr.nest(C.TCA_ACT_OPTIONS, [attr.bytes(C.TCA_MIRRED_PARMS, mirred)]),
    ]);
  });
  const options = [
    attr.u32(C.TCA_U32_CLASSID, 0x00010001),
    attr.bytes(C.TCA_U32_SEL, sel),
    attr.nest(C.TCA_U32_ACT, actions),
  ];
  const prio = 1;
  // tcm_info = TC_H_MAKE(prio << 16, htons(ETH_P_ALL))
  const info = ((prio << 16) | ((C.ETH_P_ALL & 0xff) << 8) | (C.ETH_P_ALL >> 8)) >>> 0;
  const body = encodeBody(tcmsg, {
    hdr: { family: 0, index, handle: 0, parent, info },
    attrs: [attr.str(C.TCA_KIND, 'u32'), attr.nest(C.TCA_OPTIONS, options)],
  });
  sock.ack(C.RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, body, op);
}
