export {
  type Backend,
  detectBackend,
  isBackend,
  supportsIPTables,
  supportsNFTables,
  withBackend,
} from './detect.js';
export { type ExecResult, execIn, findBinary, setBinaryDirs } from './exec.js';
export { isIP } from '@cni/ip';
export {
  formatChainName,
  formatChainNameWithPrefix,
  formatComment,
  formatHashWithPrefix,
  sha256Hex,
  trimComment,
} from './hash.js';
export {
  type GCAttachment,
  gcIPMasq,
  IPMASQ_CHAIN,
  IPMASQ_TABLE,
  type IPMasqArgs,
  ipMasqComment,
  ipMasqInstanceHash,
  setupIPMasq,
  teardownIPMasq,
} from './ipmasq.js';
export {
  DEFAULT_LOCK_FILE,
  type IPFamily,
  IPTables,
  IPTablesError,
  type IPTablesOptions,
  jumpTarget,
  type Rule,
  ruleComment,
  TableEdit,
  TableState,
} from './iptables.js';
export {
  hasLibnftables,
  Nft,
  NftError,
  type NftObject,
  type NftOptions,
  type NftRule,
  nftQuote,
} from './nft.js';
export { canonicalAddress, canonicalRule, sameRule } from './rules.js';
export { joinWords, quoteWord, splitWords } from './shellwords.js';
