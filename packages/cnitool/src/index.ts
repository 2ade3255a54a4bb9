// @cni/cnitool: the cnitool command (bin `cnitool`) and its parts, usable as a library.
export {
  type CommandLine,
  containerIdFor,
  DEFAULT_CACHE_DIR,
  DEFAULT_NET_DIR,
  parseCapArgsEnv,
  parseCniArgsEnv,
  parseCommandLine,
  pluginPaths,
  resolveIfName,
  type RuntimeSetup,
  runtimeSetup,
  USAGE,
  UsageError,
} from './args.js';
export {
  DEMO_CAP_ARGS,
  DEMO_NETWORK,
  type DemoOptions,
  demoConfList,
  demoPluginPaths,
  runDemo,
} from './demo.js';
export { type IO, type RunOptions, run, VERSION } from './run.js';
export {
  checkConfig,
  type Finding,
  findNetworkFile,
  formatReport,
  type PluginSummary,
  REFERENCE_PLUGINS,
  type ValidateOptions,
  type ValidateReport,
  type VersionProbe,
  validate,
} from './validate.js';
