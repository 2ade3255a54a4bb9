// @cni/skel: CNI spec types, versions, result conversion, errors, the plugin-side dispatcher,
// CNI_ARGS and delegation.
export {
  type NetConf,
  parseCniArgs,
  parseNetConf,
  validateContainerID,
  validateInterfaceName,
  validateNetworkName,
} from './conf.js';
export { CniError, type CniErrorJSON, ErrCode, type ErrCodeValue } from './errors.js';
export {
  delegate,
  delegateAdd,
  delegateCheck,
  delegateDel,
  delegateGC,
  delegateStatus,
  execPluginFile,
  findInPath,
  ownPluginType,
  registerInProcessPlugin,
  splitPathList,
} from './invoke.js';
export { goJSONParse, goJSONSyntaxError } from './gojson.js';
export { getKey, goStringify } from './json.js';
export { convertResult, formatResult, isEmptyDNS, parseResult } from './result.js';
export {
  type CmdArgs,
  type Command,
  findSubcommand,
  formatError,
  type Handler,
  type PluginDef,
  type PluginFuncs,
  type RawOutput,
  pluginMain,
  type RunOutput,
  runPlugin,
  versionInfo,
} from './skel.js';
export type { DNS, Interface, IPConfig, Result, Route } from './types.js';
export {
  CURRENT_VERSION,
  compareVersions,
  isSpecVersion,
  parseVersion,
  SPEC_VERSIONS,
  type SpecVersion,
  versionsFrom,
} from './version.js';
