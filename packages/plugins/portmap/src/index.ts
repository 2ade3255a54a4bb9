export {
  backendOfConditions,
  getKey,
  type PortMapConf,
  type PortMapEntry,
  PortmapError,
  parseConfig,
} from './config.js';
export {
  dnatChainName,
  dnatComment,
  dnatEntryRules,
  dnatRules,
  MARK_MASQ_CHAIN,
  oldSnatChainName,
  SET_MARK_CHAIN,
  TOP_LEVEL_DNAT_CHAIN,
} from './iptables.js';
export { forwardCommands, NFT_TABLE } from './nftables.js';
export {
  type CmdArgs,
  cmdAdd,
  cmdCheck,
  cmdDel,
  cmdGC,
  cmdStatus,
  routableHostIF,
  type VerbOptions,
} from './verbs.js';
