// Policy routing rules: RTM_{NEW,DEL,GET}RULE with struct fib_rule_hdr and FRA_* attributes.
import { type Attr, attr } from './codec/attr.js';
import * as C from './codec/constants.js';
import {
  decodeBodyList,
  encodeBody,
  fibRuleHdr,
  NLM_F_CREATE,
  NLM_F_EXCL,
  type NlMsg,
} from './codec/message.js';
import { NetlinkError } from './errors.js';
import { bytesToIp, type Family, familyToAf, maskBytes, parseCidr } from './ipaddr.js';
import type { NlSocket } from './socket.js';

export interface Rule {
  family: 4 | 6;
  /** CIDR */
  src?: string;
  /** CIDR */
  dst?: string;
  table: number;
  priority?: number;
  iifname?: string;
  oifname?: string;
  invert?: boolean;
}

export function decodeRule(m: NlMsg): Rule {
  const { hdr, attrs: a } = decodeBodyList(fibRuleHdr, m.payload);
  const r: Rule = { family: hdr.family === C.AF_INET6 ? 6 : 4, table: a.u32(C.FRA_TABLE) ?? hdr.table };
  const src = a.get(C.FRA_SRC);
  if (src) r.src = `${bytesToIp(src)}/${hdr.srcLen}`;
  const dst = a.get(C.FRA_DST);
  if (dst) r.dst = `${bytesToIp(dst)}/${hdr.dstLen}`;
  // The kernel leaves FRA_PRIORITY out for preference 0 (the local-table rule).
  r.priority = a.u32(C.FRA_PRIORITY) ?? 0;
  const iif = a.str(C.FRA_IIFNAME);
  if (iif) r.iifname = iif;
  const oif = a.str(C.FRA_OIFNAME);
  if (oif) r.oifname = oif;
  if (hdr.flags & C.FIB_RULE_INVERT) r.invert = true;
  return r;
}

function describe(r: Rule): string {
  return `${r.invert ? 'not ' : ''}from ${r.src ?? 'all'}${r.dst ? ` to ${r.dst}` : ''}${r.iifname ? ` iif ${r.iifname}` : ''}${r.oifname ? ` oif ${r.oifname}` : ''} lookup ${r.table}${r.priority !== undefined ? ` pref ${r.priority}` : ''}`;
}

function bad(op: string, key: string, v: unknown, why = ''): never {
  throw new NetlinkError(`${op}: invalid ${key} ${JSON.stringify(v)}${why ? `: ${why}` : ''}`, 22);
}

export function encodeRule(op: string, r: Rule, forDel: boolean): Buffer {
  if (r.family !== 4 && r.family !== 6) bad(op, 'family', r.family);
  const family: Family = r.family;
  if (!Number.isInteger(r.table) || r.table < 0 || r.table > 0xffffffff) bad(op, 'table', r.table);
  const hdr = {
    family: familyToAf(family),
    dstLen: 0,
    srcLen: 0,
    tos: 0,
    table: r.table < 256 ? r.table : C.RT_TABLE_UNSPEC,
    // A delete with action 0 matches any action; a new rule with a table is "lookup".
    action: forDel && r.table === 0 ? 0 : C.FR_ACT_TO_TBL,
    flags: r.invert ? C.FIB_RULE_INVERT : 0,
  };
  const attrs: Attr[] = [];
  for (const key of ['dst', 'src'] as const) {
    const v = r[key];
    if (v === undefined) continue;
    let c: ReturnType<typeof parseCidr>;
    try {
      c = parseCidr(v);
    } catch (err) {
      return bad(op, key, v, (err as Error).message);
    }
    if (c.family !== family) bad(op, key, v, `not IPv${family}`);
    if (key === 'dst') hdr.dstLen = c.prefix;
    else hdr.srcLen = c.prefix;
    attrs.push(attr.bytes(key === 'dst' ? C.FRA_DST : C.FRA_SRC, maskBytes(c.bytes, c.prefix)));
  }
  if (r.priority !== undefined) {
    if (!Number.isInteger(r.priority) || r.priority < 0 || r.priority > 0xffffffff)
      bad(op, 'priority', r.priority);
    attrs.push(attr.u32(C.FRA_PRIORITY, r.priority));
  }
  if (r.iifname !== undefined) attrs.push(attr.str(C.FRA_IIFNAME, r.iifname));
  if (r.oifname !== undefined) attrs.push(attr.str(C.FRA_OIFNAME, r.oifname));
  if (r.table > 0) attrs.push(attr.u32(C.FRA_TABLE, r.table));
  return encodeBody(fibRuleHdr, { hdr, attrs });
}

export function ruleList(sock: NlSocket, family: Family): Rule[] {
  if (family !== 4 && family !== 6) throw new NetlinkError(`rule list: invalid family ${String(family)}`, 22);
  const body = encodeBody(fibRuleHdr, {
    hdr: { family: familyToAf(family), dstLen: 0, srcLen: 0, tos: 0, table: 0, action: 0, flags: 0 },
    attrs: [],
  });
  return sock.dump(C.RTM_GETRULE, body, `rule list -${family}`).map(decodeRule);
}

export function ruleAdd(sock: NlSocket, r: Rule): void {
  const op = `rule add ${describe(r)}`;
  sock.ack(C.RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, encodeRule(op, r, false), op);
}

export function ruleDel(sock: NlSocket, r: Rule): void {
  const op = `rule del ${describe(r)}`;
  sock.ack(C.RTM_DELRULE, 0, encodeRule(op, r, true), op);
}
