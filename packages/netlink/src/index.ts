export type { Addr, AddrOptions } from './addr.js';
export {
  type Attr,
  AttrList,
  attr,
  attrType,
  decodeAttrs,
  encodeAttrs,
  NLA_F_NESTED,
  NLA_F_NET_BYTEORDER,
} from './codec/attr.js';
export {
  IFA_F_NODAD,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN,
} from './codec/constants.js';
export {
  type Body,
  decodeBody,
  decodeMessages,
  encodeBody,
  encodeMessage,
  type FibRuleHdr,
  fibRuleHdr,
  type HeaderCodec,
  type IfAddrMsg,
  type IfInfoMsg,
  ifaddrmsg,
  ifinfomsg,
  type NdMsg,
  type NfGenMsg,
  type NlMsg,
  ndmsg,
  nfgenmsg,
  type RtMsg,
  rtmsg,
  type TcMsg,
  tcmsg,
} from './codec/message.js';
export { isExists, isNotFound, NetlinkError } from './errors.js';
export { ipv6Text, isIP, isIPv4, isIPv6 } from './ipaddr.js';
export type { IpvlanMode, Link, LinkInfo, LinkSpec, MacvlanMode, OperState } from './link.js';
export { validateIfName } from './link.js';
export { Netlink } from './netlink.js';
export type { NextHop, Route, RouteMode } from './route.js';
export { DEFAULT_TIMEOUT_MS, NlSocket, type SocketOptions } from './socket.js';
export type { BridgePortOptions } from './bridge.js';
export { conntrackDeleteByDstPort } from './conntrack.js';
export { NFT_FAMILY, type NftFamily, nftTableExists } from './nftables.js';
export type { Neigh } from './neigh.js';
export type { Rule } from './rule.js';
export type { MirredRedirectOptions, Qdisc, TbfOptions } from './tc.js';
export { type TuntapOptions, tuntapCreate } from './tuntap.js';
