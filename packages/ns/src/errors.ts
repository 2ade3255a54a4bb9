// node:os is loaded, and the table built, on the first error only: most plugin runs have none.
let errnoNames: Map<number, string> | undefined;

/** The symbolic name of an errno value (`EEXIST`), or `E<number>` when unknown. */
export function errnoName(errno: number): string {
  if (!errnoNames) {
    errnoNames = new Map();
    const { errno: table } = process.getBuiltinModule('node:os').constants;
    for (const [name, value] of Object.entries(table)) errnoNames.set(value, name);
  }
  return errnoNames.get(errno) ?? `E${errno}`;
}

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
