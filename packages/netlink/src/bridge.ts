// Bridge ports (IFLA_PROTINFO) and bridge VLANs (IFLA_AF_SPEC), both as AF_BRIDGE link messages.
import { type Attr, type AttrList, attr, NLA_F_NESTED } from './codec/attr.js';
import * as C from './codec/constants.js';
import { decodeBodyList, ifinfomsg } from './codec/message.js';
import { NetlinkError } from './errors.js';
import { linkMessage } from './link.js';
import type { NlSocket } from './socket.js';

const bridgeHdr = (index: number) => ({ family: C.AF_BRIDGE, type: 0, index, flags: 0, change: 0 });

function checkIndex(op: string, index: number): void {
  if (!Number.isInteger(index) || index <= 0)
    throw new NetlinkError(`${op}: invalid link index ${String(index)}`, 22);
}

export interface BridgePortOptions {
  hairpin?: boolean;
  isolated?: boolean;
  learning?: boolean;
}

export function bridgePortSet(sock: NlSocket, index: number, opts: BridgePortOptions): void {
  const op = `bridge link set dev ${index}`;
  checkIndex(op, index);
  const port: Attr[] = [];
  if (opts.hairpin !== undefined) port.push(attr.u8(C.IFLA_BRPORT_MODE, opts.hairpin ? 1 : 0));
  if (opts.learning !== undefined) port.push(attr.u8(C.IFLA_BRPORT_LEARNING, opts.learning ? 1 : 0));
  if (opts.isolated !== undefined) port.push(attr.u8(C.IFLA_BRPORT_ISOLATED, opts.isolated ? 1 : 0));
  if (port.length === 0) return;
  // The bridge reads IFLA_PROTINFO as port attributes only when NLA_F_NESTED is set; without
  // it the payload is taken as a bare STP state byte (old RSTP daemons).
  sock.ack(C.RTM_SETLINK, 0, linkMessage(bridgeHdr(index), [attr.nest(C.IFLA_PROTINFO, port, true)]), op);
}

function bridgeDump(sock: NlSocket, op: string, extMask = 0): { index: number; attrs: AttrList }[] {
  const attrs = extMask ? [attr.u32(C.IFLA_EXT_MASK, extMask)] : [];
  return sock.dump(C.RTM_GETLINK, linkMessage(bridgeHdr(0), attrs), op).map((m) => {
    const b = decodeBodyList(ifinfomsg, m.payload);
    return { index: b.hdr.index, attrs: b.attrs };
  });
}

export function bridgePortGet(
  sock: NlSocket,
  index: number,
): { hairpin: boolean; isolated: boolean; learning: boolean } {
  const op = `bridge link show dev ${index}`;
  checkIndex(op, index);
  const entry = bridgeDump(sock, op).find((e) => e.index === index);
  const info = entry?.attrs.nested(C.IFLA_PROTINFO);
  if (!info) throw new NetlinkError(`${op}: Link not found (not a bridge port)`, 19);
  return {
    hairpin: (info.u8(C.IFLA_BRPORT_MODE) ?? 0) !== 0,
    isolated: (info.u8(C.IFLA_BRPORT_ISOLATED) ?? 0) !== 0,
    learning: (info.u8(C.IFLA_BRPORT_LEARNING) ?? 0) !== 0,
  };
}

function vlanMessage(op: string, index: number, vid: number, flags: number, self: boolean): Buffer {
  checkIndex(op, index);
  if (!Number.isInteger(vid) || vid < 1 || vid > 4094)
    throw new NetlinkError(`${op}: invalid vid ${String(vid)}`, 22);
  const info = Buffer.alloc(4);
  info.writeUInt16LE(flags, 0);
  info.writeUInt16LE(vid, 2);
  const spec: Attr[] = [];
  if (self) spec.push(attr.u16(C.IFLA_BRIDGE_FLAGS, C.BRIDGE_FLAGS_SELF));
  spec.push(attr.bytes(C.IFLA_BRIDGE_VLAN_INFO, info));
  return linkMessage(bridgeHdr(index), [
    { type: C.IFLA_AF_SPEC | NLA_F_NESTED, data: attr.nest(0, spec).data },
  ]);
}

export function bridgeVlanAdd(
  sock: NlSocket,
  index: number,
  vid: number,
  opts: { pvid?: boolean; untagged?: boolean; self?: boolean } = {},
): void {
  const op = `bridge vlan add vid ${vid} dev ${index}`;
  let flags = 0;
  if (opts.pvid) flags |= C.BRIDGE_VLAN_INFO_PVID;
  if (opts.untagged) flags |= C.BRIDGE_VLAN_INFO_UNTAGGED;
  sock.ack(C.RTM_SETLINK, 0, vlanMessage(op, index, vid, flags, opts.self ?? false), op);
}

export function bridgeVlanDel(
  sock: NlSocket,
  index: number,
  vid: number,
  opts: { self?: boolean } = {},
): void {
  const op = `bridge vlan del vid ${vid} dev ${index}`;
  sock.ack(C.RTM_DELLINK, 0, vlanMessage(op, index, vid, 0, opts.self ?? false), op);
}

export function bridgeVlanList(
  sock: NlSocket,
  index: number,
): { vid: number; pvid: boolean; untagged: boolean }[] {
  const op = `bridge vlan show dev ${index}`;
  checkIndex(op, index);
  const out: { vid: number; pvid: boolean; untagged: boolean }[] = [];
  for (const e of bridgeDump(sock, op, C.RTEXT_FILTER_BRVLAN)) {
    if (e.index !== index) continue;
    const spec = e.attrs.nested(C.IFLA_AF_SPEC);
    for (const d of spec?.all(C.IFLA_BRIDGE_VLAN_INFO) ?? []) {
      if (d.length < 4) continue;
      const flags = d.readUInt16LE(0);
      out.push({
        vid: d.readUInt16LE(2),
        pvid: (flags & C.BRIDGE_VLAN_INFO_PVID) !== 0,
        untagged: (flags & C.BRIDGE_VLAN_INFO_UNTAGGED) !== 0,
      });
    }
  }
  return out;
}
