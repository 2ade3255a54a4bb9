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
