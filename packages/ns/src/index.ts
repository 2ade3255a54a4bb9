export {
  errnoName,
  isNSPathNotExist,
  isNSPathNotNS,
  NSPathNotExistError,
  NSPathNotNSError,
  SyscallError,
} from './errors.js';
export {
  flock,
  LOCK_EX,
  LOCK_NB,
  LOCK_SH,
  LOCK_UN,
  loadKoffi,
  loadSysNative,
  type SysNative,
} from './libc.js';
export {
  createNamedNetNS,
  isOriginalNetNS,
  NetNS,
  removeNamedNetNS,
  validateNetNSPath,
  withNetNSPath,
} from './netns.js';
export { type SpawnResult, spawnSyncLibc } from './spawn.js';
export { sysctlGet, sysctlGetIn, sysctlPath, sysctlSet, sysctlSetIn } from './sysctl.js';
