export * from './cidr.js';
export { isIP, isIPv4, isIPv6 } from '@cni/netlink';
export { validateExpectedInterfaceIPs, validateExpectedRoute } from './check.js';
export {
  enableForward,
  enableIP4Forward,
  enableIP6Forward,
  IPV4_FORWARD_KEY,
  IPV6_FORWARD_KEY,
} from './forward.js';
export {
  formatChainName,
  formatComment,
  goQuote,
  ifbDeviceName,
  MAX_CHAIN_LENGTH,
  mustFormatChainNameWithPrefix,
  mustFormatHashWithPrefix,
} from './hash.js';
export { sha256Hex, sha512Hex } from './sha.js';
export { type ConfigureIfaceOptions, configureIface, settleAddresses, sleepSync } from './iface.js';
export { formatMAC, isUnicastMAC, isZeroMAC, macFromIPv4, normalizeMAC, parseMAC, randomMAC } from './mac.js';
export {
  delLinkByName,
  delLinkByNameAddr,
  getVethPeerIfindex,
  type LinkInterface,
  linkByNameOrUndefined,
  linkExists,
  randomVethName,
  renameLink,
  type SetupVethOptions,
  setupVeth,
  toInterface,
  type VethPair,
} from './veth.js';
export {
  INT32_MAX,
  invalid,
  optBool,
  optInt,
  optObject,
  optString,
  resolveMac,
  UINT32_MAX,
  wrongType,
} from './conf-fields.js';
export {
  checkAddrsRoutes,
  checkContainerLink,
  checkIfaceCommon,
  checkPrelude,
  configureIfaceOrFail,
  delIpamThenLink,
  forwardGC,
  forwardStatus,
  gcViaIpam,
  internal,
  ipamAdd,
  ipamDel,
  msg,
  openNetNS,
  openNetNSForDel,
  Rollback,
  setNotifySysctls,
  singleLinkResult,
  statusViaIpam,
  type ValidAttachment,
  validAttachments,
  withAddRollback,
} from './plugin-steps.js';
export {
  type ChildLinkSpec,
  type CreatedLink,
  createChildLink,
  defaultRouteInterface,
  type MasterConf,
  type ResolveMasterOptions,
  resolveMaster,
} from './master.js';
