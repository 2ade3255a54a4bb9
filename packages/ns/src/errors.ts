// The errnos of ordinary runs (EEXIST from an existing bridge, ENOENT, ENODEV...) by a static
// table: Linux's generic numbering, the same on every architecture we ship (x64, arm64, arm,
// ia32, riscv64, loong64). Loading node:os and building its table cost ~1 ms on the first error;
// that is left to the rare others.
const COMMON: Record<number, string> = {
  1: 'EPERM',
  2: 'ENOENT',
  3: 'ESRCH',
  4: 'EINTR',
  5: 'EIO',
  6: 'ENXIO',
  9: 'EBADF',
  12: 'ENOMEM',
  13: 'EACCES',
  16: 'EBUSY',
  17: 'EEXIST',
  19: 'ENODEV',
  20: 'ENOTDIR',
  22: 'EINVAL',
  28: 'ENOSPC',
  34: 'ERANGE',
  93: 'EPROTONOSUPPORT',
  97: 'EAFNOSUPPORT',
  98: 'EADDRINUSE',
  99: 'EADDRNOTAVAIL',
  100: 'ENETDOWN',
  101: 'ENETUNREACH',
  105: 'ENOBUFS',
  110: 'ETIMEDOUT',
  113: 'EHOSTUNREACH',
};
let errnoNames: Map<number, string> | undefined;

/** The symbolic name of an errno value (`EEXIST`), or `E<number>` when unknown. */
export function errnoName(errno: number): string {
  const common = process.platform === 'linux' ? COMMON[errno] : undefined;
  if (common !== undefined) return common;
  if (!errnoNames) {
    errnoNames = new Map();
    const { errno: table } = process.getBuiltinModule('node:os').constants;
    for (const [name, value] of Object.entries(table)) errnoNames.set(value, name);
  }
  return errnoNames.get(errno) ?? `E${errno}`;
}

/** For tests: the static table (checked against node:os). */
export const commonErrnoNames: Readonly<Record<number, string>> = COMMON;

/** A failed libc call: which call, on what, and the errno. */
export class SyscallError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly syscall: string;
  constructor(syscall: string, errno: number, what?: string) {
    const code = errnoName(errno);
    super(`${syscall}${what ? ` ${what}` : ''}: ${code}`);
    this.name = 'SyscallError';
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
  }
}

/** The netns path does not exist (the reference's NSPathNotExistErr). */
export class NSPathNotExistError extends Error {
  constructor(readonly path: string) {
    super(`failed to Statfs "${path}": no such file or directory`);
    this.name = 'NSPathNotExistError';
  }
}

/** The path exists but is not a network namespace (the reference's NSPathNotNSErr). */
export class NSPathNotNSError extends Error {
  constructor(
    readonly path: string,
    readonly fsType: number,
  ) {
    super(`unknown FS magic on "${path}": ${fsType.toString(16)}`);
    this.name = 'NSPathNotNSError';
  }
}

export function isNSPathNotExist(err: unknown): err is NSPathNotExistError {
  return err instanceof NSPathNotExistError;
}
export function isNSPathNotNS(err: unknown): err is NSPathNotNSError {
  return err instanceof NSPathNotNSError;
}
