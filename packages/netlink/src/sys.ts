// libc calls for netlink sockets and /dev/net/tun (loaded on first use): from the bundle's addon
// cni_sys.node when the plugin entry staged it (see @cni/ns loadSysNative), else through koffi.
import { loadKoffi, loadSysNative } from '@cni/ns';

type Fn = (...args: unknown[]) => number;
export interface Sys {
  socket: Fn;
  bind: Fn;
  setsockopt: Fn;
  getsockname: Fn;
  send: Fn;
  recv: Fn;
  close: Fn;
  open: Fn;
  ioctl: Fn;
  ioctlInt: Fn;
  errno: () => number;
}

let sys: Sys | undefined;

export function getSys(): Sys {
  if (sys) return sys;
  // The addon has the same functions under the same names, with libc's -1/errno.
  const native = loadSysNative();
  if (native) return (sys = native as unknown as Sys);
  const koffi = loadKoffi();
  const lib = koffi.load('libc.so.6');
  sys = {
    socket: lib.func('int socket(int domain, int type, int protocol)') as Fn,
    bind: lib.func('int bind(int fd, const void *addr, uint32_t len)') as Fn,
    setsockopt: lib.func('int setsockopt(int fd, int level, int name, const void *val, uint32_t len)') as Fn,
    getsockname: lib.func('int getsockname(int fd, void *addr, _Inout_ uint32_t *len)') as Fn,
    send: lib.func('intptr_t send(int fd, const void *buf, size_t len, int flags)') as Fn,
    recv: lib.func('intptr_t recv(int fd, void *buf, size_t len, int flags)') as Fn,
    close: lib.func('int close(int fd)') as Fn,
    open: lib.func('int open(const char *path, int flags, int mode)') as Fn,
    // ioctl is variadic in C; every request we make takes one pointer-sized argument.
    ioctl: lib.func('int ioctl(int fd, unsigned long req, void *arg)') as Fn,
    ioctlInt: lib.func('ioctl', 'int', ['int', 'unsigned long', 'unsigned long']) as Fn,
    errno: () => koffi.errno(),
  };
  return sys;
}

export const SOCK_RAW = 3;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SO_RCVTIMEO = 20;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SOL_NETLINK = 270;
export const NETLINK_CAP_ACK = 10;
export const NETLINK_EXT_ACK = 11;
export const NETLINK_GET_STRICT_CHK = 12;
export const MSG_PEEK = 2;
export const MSG_TRUNC = 0x20;
export const O_RDWR = 2;
export const O_CLOEXEC = 0o2000000;
