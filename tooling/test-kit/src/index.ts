export { destroyNetNS, makeNetNS, type TestNetNS, withNetNS } from './netns.js';
export {
  clearKernelFeatureCache,
  hasKernelFeature,
  KERNEL_FEATURES,
  type KernelFeature,
  type KernelFeatureProbe,
  MissingKernelFeatureError,
  probeKernelFeature,
  requireKernelFeature,
} from './kernel-features.js';
export {
  type CniCommand,
  distCniBin,
  makeNoopPlugin,
  noopEntry,
  type PluginProcessResult,
  type RunPluginOptions,
  repoRoot,
  runPluginProcess,
} from './plugin.js';
export {
  NOOP_DEFAULT_VERSIONS,
  type NoopCmdArgs,
  type NoopDebug,
  noopPlugin,
  noopVersions,
  readNoopDebug,
  writeNoopDebug,
} from './noop/noop.js';
export {
  type BuiltPlugin,
  buildPlugin,
  bundleEntry,
  type PluginEnv,
  runPlugin,
  sourceAliases,
} from './bundle.js';
export {
  ALL_VERSIONS,
  addrsOf,
  GO_CNI,
  hostLocal,
  inNs,
  ip,
  ipJson,
  linkInfo,
  linkNames,
  ourBin,
  runIn,
  type TempDir,
  tempDir,
  vethPair,
} from './process-env.js';
