import { errnoName } from '@cni/ns';

// strerror(3) texts, lower case as Go's syscall.Errno prints them: plugins put these in
// CNI error messages and users compare them with the reference's.
const ERRNO_TEXT: Record<string, string> = {
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ESRCH: 'no such process',
  EINTR: 'interrupted system call',
  EIO: 'input/output error',
  EBADF: 'bad file descriptor',
  EAGAIN: 'resource temporarily unavailable',
  ENOMEM: 'cannot allocate memory',
  EACCES: 'permission denied',
  EFAULT: 'bad address',
  EBUSY: 'device or resource busy',
  EEXIST: 'file exists',
  EXDEV: 'invalid cross-device link',
  ENODEV: 'no such device',
  ENOTDIR: 'not a directory',
  EINVAL: 'invalid argument',
  ENFILE: 'too many open files in system',
  EMFILE: 'too many open files',
  ENOSPC: 'no space left on device',
  ERANGE: 'numerical result out of range',
  EDOM: 'numerical argument out of domain',
  ENAMETOOLONG: 'file name too long',
  ENOTSUP: 'operation not supported',
  EOPNOTSUPP: 'operation not supported',
  EPROTONOSUPPORT: 'protocol not supported',
  EAFNOSUPPORT: 'address family not supported by protocol',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'cannot assign requested address',
  ENETDOWN: 'network is down',
  ENETUNREACH: 'network is unreachable',
  EHOSTUNREACH: 'no route to host',
  ENOBUFS: 'no buffer space available',
  ETIMEDOUT: 'connection timed out',
  EMSGSIZE: 'message too long',
  ENOTSOCK: 'socket operation on non-socket',
  EPROTO: 'protocol error',
  ENOTEMPTY: 'directory not empty',
  ENOTCONN: 'transport endpoint is not connected',
};

export function errnoText(errno: number): string {
  const code = errnoName(errno);
  return ERRNO_TEXT[code] ?? code;
}

/** A request the kernel refused (or a local failure on the socket), with errno and extack. */
export class NetlinkError extends Error {
  /** Positive errno (e.g. 17). */
  errno: number;
  /** Symbolic errno ('EEXIST'). */
  code: string;
  /** The kernel's extended-ACK message, when it gave one. */
  extack?: string;
  /** What we were doing, e.g. 'link add veth0'. */
  op: string;
  constructor(op: string, errno: number, extack?: string) {
    const code = errnoName(errno);
    super(`${op}: ${extack ? `${extack} (${errnoText(errno)})` : errnoText(errno)}`);
    this.name = 'NetlinkError';
    this.errno = errno;
    this.code = code;
    if (extack !== undefined) this.extack = extack;
    this.op = op;
  }
}

const NOT_FOUND = new Set(['ENODEV', 'ENOENT', 'ESRCH', 'EADDRNOTAVAIL']);

/** EEXIST: the link/address/route/rule already exists. */
export function isExists(e: unknown): boolean {
  return e instanceof NetlinkError && e.code === 'EEXIST';
}

/** The object is not there: ENODEV / ENOENT / ESRCH / EADDRNOTAVAIL / "Link not found". */
export function isNotFound(e: unknown): boolean {
  if (!(e instanceof NetlinkError)) return false;
  return NOT_FOUND.has(e.code) || /link not found/i.test(e.extack ?? '') || /link not found/i.test(e.message);
}

export const ERRNO = {
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EBADF: 9,
  EAGAIN: 11,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  EPROTO: 71,
  EMSGSIZE: 90,
  ETIMEDOUT: 110,
} as const;
