// A non-blocking AF_PACKET (cooked, ETH_P_IP) socket bound to one interface, through koffi.
// It must be created inside the interface's namespace (NetNS.run): a socket belongs to the
// namespace it was made in for its whole life. Reads are non-blocking; the caller polls.
import { loadKoffi, SyscallError } from '@cni/ns';

type Fn = (...args: unknown[]) => number;
interface Sys {
  socket: Fn;
  bind: Fn;
  sendto: Fn;
  recvfrom: Fn;
  close: Fn;
  errno: () => number;
}

let sys: Sys | undefined;
function libc(): Sys {
  if (sys) return sys;
  const koffi = loadKoffi();
  const lib = koffi.load('libc.so.6');
  sys = {
    socket: lib.func('int socket(int domain, int type, int protocol)') as Fn,
    bind: lib.func('int bind(int fd, const void *addr, uint32_t len)') as Fn,
    sendto: lib.func(
      'intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t alen)',
    ) as Fn,
    recvfrom: lib.func(
      'intptr_t recvfrom(int fd, void *buf, size_t len, int flags, void *addr, _Inout_ uint32_t *alen)',
    ) as Fn,
    close: lib.func('int close(int fd)') as Fn,
    errno: () => koffi.errno(),
  };
  return sys;
}

const AF_PACKET = 17;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const ETH_P_IP = 0x0800;
const EINTR = 4;
const EAGAIN = 11;
const PACKET_OUTGOING = 4;

function sockaddrLL(ifindex: number, mac?: Uint8Array): Buffer {
  const sa = Buffer.alloc(20);
  sa.writeUInt16LE(AF_PACKET, 0);
  sa.writeUInt16BE(ETH_P_IP, 2);
  sa.writeInt32LE(ifindex, 4);
  if (mac) {
    sa[11] = 6;
    Buffer.from(mac).copy(sa, 12, 0, 6);
  }
  return sa;
}

export interface Frame {
  data: Buffer;
  /** link-layer source address of the frame */
  srcMac: Buffer;
}

export class PacketSocket {
  #fd: number;
  readonly ifindex: number;
  #buf = Buffer.alloc(65536);

  private constructor(fd: number, ifindex: number) {
    this.#fd = fd;
    this.ifindex = ifindex;
  }

  /** Open in the namespace the thread is in now (call inside NetNS.run). */
  static open(ifindex: number): PacketSocket {
    const s = libc();
    const fd = s.socket(
      AF_PACKET,
      SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
      ((ETH_P_IP & 0xff) << 8) | (ETH_P_IP >> 8),
    );
    if (fd < 0) throw new SyscallError('socket(AF_PACKET)', s.errno());
    const sa = sockaddrLL(ifindex);
    if (s.bind(fd, sa, sa.length) < 0) {
      const e = s.errno();
      s.close(fd);
      throw new SyscallError('bind(AF_PACKET)', e, `ifindex ${ifindex}`);
    }
    return new PacketSocket(fd, ifindex);
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Send an IP packet to a link-layer destination (broadcast ff:… or a unicast MAC). */
  send(packet: Buffer, dstMac: Uint8Array): void {
    if (this.#fd < 0) throw new Error('packet socket is closed');
    const s = libc();
    const sa = sockaddrLL(this.ifindex, dstMac);
    for (;;) {
      const n = s.sendto(this.#fd, packet, packet.length, 0, sa, sa.length);
      if (n >= 0) return;
      const e = s.errno();
      if (e === EINTR) continue;
      throw new SyscallError('sendto(AF_PACKET)', e, `ifindex ${this.ifindex}`);
    }
  }

  /** One incoming frame, or undefined when none is queued. Outgoing copies are skipped. */
  recv(): Frame | undefined {
    if (this.#fd < 0) return undefined;
    const s = libc();
    for (;;) {
      const sa = Buffer.alloc(20);
      const alen = [20];
      const n = s.recvfrom(this.#fd, this.#buf, this.#buf.length, 0, sa, alen);
      if (n < 0) {
        const e = s.errno();
        if (e === EINTR) continue;
        if (e === EAGAIN) return undefined;
        throw new SyscallError('recvfrom(AF_PACKET)', e, `ifindex ${this.ifindex}`);
      }
      if (sa[10] === PACKET_OUTGOING) continue;
      const halen = Math.min(sa[11] ?? 0, 8);
      return {
        data: Buffer.from(this.#buf.subarray(0, n)),
        srcMac: Buffer.from(sa.subarray(12, 12 + halen)),
      };
    }
  }

  close(): void {
    if (this.#fd >= 0) libc().close(this.#fd);
    this.#fd = -1;
  }
}
