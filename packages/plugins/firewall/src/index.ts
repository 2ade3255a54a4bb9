export {
  DEFAULT_DATA_DIR,
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
export {
  type AttachmentRecord,
  listRecords,
  readRecord,
  recordPath,
  removeRecord,
  writeRecord,
} from './state.js';
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

import { type CmdArgs as SkelArgs, type PluginDef, parseResult, type Result, versionsFrom } from '@cni/skel';
import { getKey as key } from './config.js';
import * as verbs from './verbs.js';

function toResult(prev: Record<string, unknown>, stdin: Buffer): Result {
  const conf = JSON.parse(stdin.toString()) as Record<string, unknown>;
  const version = key(conf, 'cniVersion');
  return parseResult(prev, typeof version === 'string' && version ? version : undefined);
}

/** The plugin for @cni/skel's pluginMain / runPlugin (spec 0.4.0 and later, as the reference). */
export const plugin: PluginDef = {
  type: 'firewall',
  versions: versionsFrom('0.4.0'),
  about: 'CNI firewall plugin',
  add: (a: SkelArgs) => toResult(verbs.cmdAdd(a), a.stdinData),
  del: (a: SkelArgs) => verbs.cmdDel(a),
  check: (a: SkelArgs) => verbs.cmdCheck(a),
  gc: (a: SkelArgs) => verbs.cmdGC(a),
  status: (a: SkelArgs) => verbs.cmdStatus(a),
};
