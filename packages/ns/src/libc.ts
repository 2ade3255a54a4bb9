// The few libc calls Node has no API for: through the bundle's own addon (cni_sys.node) when the
// plugin entry staged it, else through koffi. Loaded lazily: a plugin that answers VERSION pays
// for neither.
import { SyscallError } from './errors.js';

type KoffiFn = (...args: unknown[]) => number;
interface Libc {
  setns: KoffiFn;
  unshare: KoffiFn;
  mount: KoffiFn;
  umount2: KoffiFn;
  flock: KoffiFn;
  errno: () => number;
}

let libc: Libc | undefined;

let koffiModule: typeof import('koffi') | undefined;

/**
 * koffi, loaded on first use. The plugin bundle's entry (dist/cni/bin/cni-ts/cni.cjs) sets
 * `globalThis.__cniTsKoffiNative` to the staged native module: loaded directly with
 * `process.dlopen`, it skips package resolution and koffi's own loader (its platform probes and
 * failing `require`s), ~10 ms of every plugin start. Its exports are koffi's API as is. A
 * single-executable build (where `require` only knows built-in modules) sets
 * `globalThis.__cniTsRequire` to a require rooted beside the executable, where the release puts
 * koffi's loader and native module. Otherwise: `require('koffi')`.
 */
export function loadKoffi(): typeof import('koffi') {
  if (koffiModule) return koffiModule;
  const g = globalThis as { __cniTsRequire?: NodeJS.Require; __cniTsKoffiNative?: string };
  if (g.__cniTsKoffiNative) {
    const mod = { exports: {} as typeof import('koffi') };
    try {
      process.dlopen(mod, g.__cniTsKoffiNative);
      if (typeof mod.exports.load === 'function') return (koffiModule = mod.exports);
    } catch {
      // not staged for this platform (another ABI): koffi's own loader finds it
    }
  }
  // koffi is CommonJS with a native addon; createRequire keeps it out of bundles' static graph
  // (node:module is loaded only here, not at every plugin start).
  const req = g.__cniTsRequire ?? process.getBuiltinModule('node:module').createRequire(import.meta.url);
  // koffi is loaded from its real path, resolved by libc's realpath. require's own realpath (in
  // JavaScript) reads the last stat result when a directory is already in its cache: after a stat
  // of a pipe (a plugin's stdin) it stops and keeps the symlinks of a pnpm layout
  // (node_modules/koffi → .pnpm/…), and koffi then looks for its platform package beside the
  // symlink, where it is not.
  let entry: string;
  try {
    entry = process.getBuiltinModule('node:fs').realpathSync.native(req.resolve('koffi'));
  } catch {
    entry = 'koffi'; // not resolvable here: require reports it
  }
  koffiModule = req(entry) as typeof import('koffi');
  return koffiModule;
}

/**
 * The libc functions of cni_sys.node, the bundle's own Node-API addon (packages/ns/native), when
 * the plugin entry staged it (`globalThis.__cniTsSysNative`: its exports, or its path). It has the same
 * functions, arguments and return values as the koffi declarations here and in @cni/netlink
 * (-1 and `errno()` on failure), and loads in ~0.1 ms where koffi and the declarations take ~3 ms
 * of every plugin start. undefined when not staged or not loadable (another platform, an old
 * Node): koffi then.
 */
export interface SysNative {
  errno(): number;
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, len: number): number;
  getsockname(fd: number, addr: Buffer, len: number[]): number;
  send(fd: number, buf: Buffer, len: number, flags: number): number;
  recv(fd: number, buf: Buffer, len: number, flags: number): number;
  close(fd: number): number;
  open(path: string, flags: number, mode: number): number;
  ioctl(fd: number, request: number, arg: Buffer): number;
  ioctlInt(fd: number, request: number, arg: number): number;
  setns(fd: number, nstype: number): number;
  unshare(flags: number): number;
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: null): number;
  umount2(target: string, flags: number): number;
  flock(fd: number, operation: number): number;
  memfdCreate(name: string, flags: number): number;
  /** posix_spawn with fds 0-2 from the three given, default signal handlers, empty mask. */
  spawn(path: string, argv: string[], envp: string[], stdin: number, stdout: number, stderr: number): number;
  waitpid(pid: number, status: number[], options: number): number;
  /** _exit(2): the plugin entry's way out once a verb's output is written. */
  exit(code: number): never;
  /**
   * The file mapped read-only, as an external Latin-1 string (asString 1) or an external Buffer
   * (0, never to be written to); null (errno()) when it cannot. The plugin entry's way to read
   * its bundle and code cache.
   */
  mapFile(path: string, asString: 0 | 1): string | Buffer | null;
}

let sysNative: SysNative | null | undefined;

export function loadSysNative(): SysNative | undefined {
  if (sysNative !== undefined) return sysNative ?? undefined;
  sysNative = null;
  // The plugin entry, which has loaded the addon already, passes its exports; tests pass a path.
  const given = (globalThis as { __cniTsSysNative?: string | SysNative }).__cniTsSysNative;
  if (typeof given === 'string') {
    const mod = { exports: {} as SysNative };
    try {
      process.dlopen(mod, given);
      if (typeof mod.exports.waitpid === 'function') sysNative = mod.exports;
    } catch {
      // not built for this platform: koffi
    }
  } else if (typeof given?.waitpid === 'function') {
    sysNative = given;
  }
  return sysNative ?? undefined;
}

export function getLibc(): Libc {
  if (libc) return libc;
  // The addon has the same functions under the same names, with libc's -1/errno.
  const native = loadSysNative();
  if (native) return (libc = native as unknown as Libc);
  const koffi = loadKoffi();
  const lib = koffi.load('libc.so.6');
  libc = {
    setns: lib.func('int setns(int fd, int nstype)') as KoffiFn,
    unshare: lib.func('int unshare(int flags)') as KoffiFn,
    mount: lib.func(
      'int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data)',
    ) as KoffiFn,
    umount2: lib.func('int umount2(const char *target, int flags)') as KoffiFn,
    flock: lib.func('int flock(int fd, int operation)') as KoffiFn,
    errno: () => koffi.errno(),
  };
  return libc;
}

export const CLONE_NEWNET = 0x40000000;
export const MS_BIND = 4096;
export const MS_REC = 16384;
export const MS_SHARED = 1 << 20;
export const MNT_DETACH = 2;
export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;
const EINTR = 4;

/** Call a libc function that returns -1 on failure; throw a SyscallError with errno. */
export function check(name: string, what: string | undefined, fn: () => number): number {
  const l = getLibc();
  for (;;) {
    const rc = fn();
    if (rc !== -1) return rc;
    const errno = l.errno();
    if (errno === EINTR) continue;
    throw new SyscallError(name, errno, what);
  }
}

export function setns(fd: number, nstype = CLONE_NEWNET): void {
  const l = getLibc();
  check('setns', undefined, () => l.setns(fd, nstype));
}

export function unshare(flags: number): void {
  const l = getLibc();
  check('unshare', undefined, () => l.unshare(flags));
}

export function mount(source: string | null, target: string, fstype: string | null, flags: number): void {
  const l = getLibc();
  check('mount', target, () => l.mount(source, target, fstype, flags, null));
}

export function umount2(target: string, flags: number): void {
  const l = getLibc();
  check('umount2', target, () => l.umount2(target, flags));
}

/** flock(2). With LOCK_NB, returns false instead of throwing when the lock is held. */
export function flock(fd: number, operation: number): boolean {
  const l = getLibc();
  try {
    check('flock', undefined, () => l.flock(fd, operation));
    return true;
  } catch (err) {
    if (operation & LOCK_NB && err instanceof SyscallError && err.code === 'EWOULDBLOCK') return false;
    if (operation & LOCK_NB && err instanceof SyscallError && err.code === 'EAGAIN') return false;
    throw err;
  }
}
