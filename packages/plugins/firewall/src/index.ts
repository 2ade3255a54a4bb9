export {
  type FirewallConf,
  FirewallError,
  getKey,
  hostCIDR,
  type IngressPolicy,
  parseConf,
} from './config.js';
export { DBusConnection, DBusError, parseAddress } from './dbus.js';
export {
  addFirewalld,
  checkFirewalld,
  delFirewalld,
  FIREWALLD_NAME,
  isFirewalldRunning,
} from './firewalld.js';
export { adminRule, filterRule, PRIV_CHAIN, privChainRules, STAGE1, STAGE2 } from './iptables.js';
export {
  type CmdArgs,
  chooseBackend,
  cmdAdd,
  cmdCheck,
  cmdDel,
  cmdGC,
  cmdStatus,
  type VerbOptions,
} from './verbs.js';
