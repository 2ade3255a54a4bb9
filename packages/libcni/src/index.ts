// @cni/libcni: the runtime side of CNI — load network configurations, run plugin chains
// (ADD/CHECK/DEL/GC/STATUS), keep the result cache in Go libcni's format.
export {
  buildOneConfig,
  CNIConfig,
  type CNIConfigOptions,
  type CallOptions,
  type GCArgs,
  type GCAttachment,
  injectConf,
  type RuntimeConf,
  type Verb,
} from './api.js';
export {
  type CachedAttachment,
  type CachedInfo,
  CNI_CACHE_V1,
  cacheFilePath,
  DEFAULT_CACHE_DIR,
  decodeCachedInfo,
  encodeCachedInfo,
} from './cache.js';
export {
  confFiles,
  confFromBytes,
  confFromFile,
  confListFromConf,
  loadConf,
  loadConfList,
  loadNetworkConf,
  type NetworkConfig,
  type NetworkConfigList,
  networkConfFromBytes,
  networkConfFromFile,
  networkPluginConfsFromFiles,
  type PluginConf,
} from './conf.js';
export { cniErrorOf, JoinedError, NoConfigsFoundError, NotFoundError, PluginError } from './errors.js';
export {
  decodePluginInfo,
  findInPath,
  type PluginExec,
  type PluginInfo,
  pluginEnv,
  pluginErr,
  RawExec,
  type RawExecOptions,
  stringifyCniArgs,
} from './exec.js';
export type { Result } from '@cni/skel';
