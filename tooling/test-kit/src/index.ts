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
