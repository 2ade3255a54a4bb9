// A netlink socket: created inside the namespace it manages, blocking with a receive
// timeout, one request at a time with sequence checking.
import type { NetNS } from '@cni/ns';
import { AttrList } from './codec/attr.js';
import { put16le, put32le, u32le } from './codec/bytes.js';
import { AF_NETLINK } from './codec/constants.js';
import {
  decodeMessages,
  encodeMessage,
  NLM_F_ACK,
  NLM_F_ACK_TLVS,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_MULTI,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_HDRLEN,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
  NLMSGERR_ATTR_MSG,
  type NlMsg,
  nlmsgerr,
} from './codec/message.js';
import { ERRNO, NetlinkError } from './errors.js';
import {
  getSys,
  MSG_PEEK,
  MSG_TRUNC,
  NETLINK_CAP_ACK,
  NETLINK_EXT_ACK,
  SO_RCVBUF,
  SO_RCVTIMEO,
  SOCK_CLOEXEC,
  SOCK_RAW,
  SOL_NETLINK,
  SOL_SOCKET,
} from './sys.js';

export const DEFAULT_TIMEOUT_MS = 5000;
const DUMP_INTR_RETRIES = 5;

export interface SocketOptions {
  /** Receive timeout in milliseconds (default 5000). */
  timeoutMs?: number;
  /** Called with every datagram sent and received, raw (fixture capture, debugging). */
  onDatagram?: (dir: 'out' | 'in', datagram: Buffer) => void;
}

/** Where datagrams go: the kernel through a file descriptor, or a script in tests. */
export interface Transport {
  /** Send one datagram; returns >= 0 or a negative errno. */
  send(datagram: Buffer): number;
  /** The next datagram, or a negative errno (-EAGAIN when the receive timeout expired). */
  recv(): Buffer | number;
  close(): void;
}

/** The real transport: send(2)/recv(2) on a netlink socket through koffi. */
// One receive buffer for every socket of the process (recv is synchronous and copies out what it
// got): a 64 KB zeroed buffer per socket cost a bridge ADD, which opens four, ~60 page faults.
let recvBuf: Buffer | undefined;

function fdTransport(fd: number, tap?: (dir: 'out' | 'in', datagram: Buffer) => void): Transport {
  const s = getSys();
  return {
    send(datagram) {
      tap?.('out', datagram);
      const n = s.send(fd, datagram, datagram.length, 0);
      return n >= 0 ? n : -s.errno();
    },
    // One datagram, whole: peek its size first so nothing is truncated.
    recv() {
      let buf = (recvBuf ??= Buffer.allocUnsafeSlow(64 * 1024));
      let n = s.recv(fd, buf, buf.length, MSG_PEEK | MSG_TRUNC);
      if (n >= 0 && n > buf.length) buf = recvBuf = Buffer.allocUnsafeSlow(n + 4096);
      if (n >= 0) n = s.recv(fd, buf, buf.length, 0);
      if (n < 0) return -s.errno();
      const d = Buffer.from(buf.subarray(0, n));
      tap?.('in', d);
      return d;
    },
    close() {
      s.close(fd);
    },
  };
}

export class NlSocket {
  #fd: number;
  #io: Transport;
  readonly protocol: number;
  /** Our port id, as the kernel assigned it at bind. */
  readonly portId: number;
  #seq: number;

  private constructor(fd: number, protocol: number, portId: number, io: Transport) {
    this.#fd = fd;
    this.#io = io;
    this.protocol = protocol;
    this.portId = portId;
    this.#seq = Math.floor(Date.now() / 1000) & 0x7fffffff;
  }

  /** Open a socket of `protocol` (NETLINK_ROUTE, NETLINK_NETFILTER) in `ns` (default: here). */
  static open(protocol: number, ns?: NetNS, opts: SocketOptions = {}): NlSocket {
    const create = (): NlSocket =>
      NlSocket.#create(protocol, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, opts.onDatagram);
    return ns ? ns.run(create) : create();
  }

  static #create(
    protocol: number,
    timeoutMs: number,
    onDatagram?: (dir: 'out' | 'in', datagram: Buffer) => void,
  ): NlSocket {
    const s = getSys();
    const fd = s.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
    if (fd < 0) throw new NetlinkError('netlink socket', s.errno());
    try {
      const sa = Buffer.alloc(12);
      put16le(sa, AF_NETLINK, 0);
      if (s.bind(fd, sa, 12) < 0) throw new NetlinkError('netlink bind', s.errno());
      // struct timeval: two 64-bit fields (seconds, microseconds), little endian.
      const tv = Buffer.alloc(16);
      const sec = Math.floor(timeoutMs / 1000);
      put32le(tv, sec % 0x100000000, 0);
      put32le(tv, Math.floor(sec / 0x100000000), 4);
      put32le(tv, Math.floor(timeoutMs % 1000) * 1000, 8);
      if (s.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16) < 0)
        throw new NetlinkError('netlink SO_RCVTIMEO', s.errno());
      const one = Buffer.alloc(4);
      one[0] = 1;
      // Extended acks carry the kernel's text ("Link not found"); capped acks keep error
      // messages small. Old kernels lack them: not fatal.
      s.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, one, 4);
      s.setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, one, 4);
      const rcvbuf = Buffer.alloc(4);
      put32le(rcvbuf, 1024 * 1024, 0);
      s.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, rcvbuf, 4);
      const len = [12];
      const name = Buffer.alloc(12);
      if (s.getsockname(fd, name, len) < 0) throw new NetlinkError('netlink getsockname', s.errno());
      return new NlSocket(fd, protocol, u32le(name, 4), fdTransport(fd, onDatagram));
    } catch (err) {
      s.close(fd);
      throw err;
    }
  }

  /**
   * A socket over another transport (tests: a scripted kernel). `send` gets each request
   * datagram; `recv` returns the next datagram or a negative errno.
   */
  static fromTransport(io: Transport, protocol = 0, portId = 1): NlSocket {
    return new NlSocket(0, protocol, portId, io);
  }

  get fd(): number {
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  close(): void {
    if (this.#fd >= 0) this.#io.close();
    this.#fd = -1;
  }

  #nextSeq(): number {
    this.#seq = (this.#seq + 1) >>> 0;
    if (this.#seq === 0) this.#seq = 1;
    return this.#seq;
  }

  #send(type: number, flags: number, payload: Buffer, op: string): number {
    if (this.#fd < 0) throw new NetlinkError(`${op} (socket closed)`, 9);
    const seq = this.#nextSeq();
    const msg = encodeMessage({ type, flags, seq, pid: 0, payload });
    for (;;) {
      const rc = this.#io.send(msg);
      if (rc >= 0) return seq;
      if (-rc !== ERRNO.EINTR) throw new NetlinkError(op, -rc);
    }
  }

  #recv(op: string): NlMsg[] {
    for (;;) {
      const got = this.#io.recv();
      if (typeof got !== 'number') return decodeMessages(got);
      const errno = -got;
      if (errno === ERRNO.EINTR) continue;
      if (errno === ERRNO.EAGAIN)
        throw new NetlinkError(`${op} (no answer from the kernel)`, ERRNO.ETIMEDOUT);
      throw new NetlinkError(op, errno);
    }
  }

  #error(m: NlMsg, op: string): NetlinkError | undefined {
    if (m.payload.length < 4) return new NetlinkError(`${op} (short error message)`, ERRNO.EPROTO);
    const err = m.payload.readInt32LE(0);
    if (err === 0) return undefined;
    let extack: string | undefined;
    if (m.flags & NLM_F_ACK_TLVS && m.payload.length >= nlmsgerr.size) {
      // With NETLINK_CAP_ACK the request is echoed as its header only; then the TLVs.
      const reqLen = m.payload.readUInt32LE(4);
      const start = 4 + (m.flags & 0x100 ? NLMSG_HDRLEN : Math.max(NLMSG_HDRLEN, (reqLen + 3) & ~3));
      const msg = AttrList.decode(m.payload, start).str(NLMSGERR_ATTR_MSG);
      if (msg) extack = msg;
    }
    return new NetlinkError(op, -err, extack);
  }

  /** A change (NEW/DEL/SET): flags | NLM_F_REQUEST | NLM_F_ACK, wait for the ACK. */
  ack(type: number, flags: number, payload: Buffer, op: string): void {
    const seq = this.#send(type, NLM_F_REQUEST | NLM_F_ACK | flags, payload, op);
    for (;;) {
      for (const m of this.#recv(op)) {
        if (m.seq !== seq) continue; // a stale answer to an earlier, timed-out request
        if (m.type === NLMSG_ERROR) {
          const e = this.#error(m, op);
          if (e) throw e;
          return;
        }
      }
    }
  }

  /**
   * A non-dump GET. Sent without NLM_F_ACK: the kernel answers with exactly one message
   * (the object, or an error), so we read exactly one — a "read until ACK" loop would block.
   */
  get(type: number, payload: Buffer, op: string): NlMsg {
    const seq = this.#send(type, NLM_F_REQUEST, payload, op);
    for (;;) {
      for (const m of this.#recv(op)) {
        if (m.seq !== seq) continue;
        if (m.type === NLMSG_ERROR) {
          const e = this.#error(m, op);
          if (e) throw e;
          continue;
        }
        return m;
      }
    }
  }

  /** A dump: every message up to NLMSG_DONE; retried when the kernel flags it inconsistent. */
  dump(type: number, payload: Buffer, op: string, flags = 0): NlMsg[] {
    for (let attempt = 0; ; attempt++) {
      const { msgs, interrupted } = this.#dumpOnce(type, payload, op, flags);
      if (!interrupted) return msgs;
      if (attempt + 1 >= DUMP_INTR_RETRIES) {
        throw new NetlinkError(
          `${op} (dump interrupted ${DUMP_INTR_RETRIES} times by concurrent changes)`,
          ERRNO.EINTR,
        );
      }
    }
  }

  #dumpOnce(
    type: number,
    payload: Buffer,
    op: string,
    flags: number,
  ): { msgs: NlMsg[]; interrupted: boolean } {
    const seq = this.#send(type, NLM_F_REQUEST | NLM_F_DUMP | flags, payload, op);
    const msgs: NlMsg[] = [];
    let interrupted = false;
    for (;;) {
      for (const m of this.#recv(op)) {
        if (m.seq !== seq) continue;
        if (m.flags & NLM_F_DUMP_INTR) interrupted = true;
        if (m.type === NLMSG_DONE) {
          // NLMSG_DONE carries an int: a negative errno when the dump itself failed.
          if (m.payload.length >= 4) {
            const err = m.payload.readInt32LE(0);
            if (err < 0) {
              const extack =
                m.flags & NLM_F_ACK_TLVS ? AttrList.decode(m.payload, 4).str(NLMSGERR_ATTR_MSG) : undefined;
              throw new NetlinkError(op, -err, extack);
            }
          }
          return { msgs, interrupted };
        }
        if (m.type === NLMSG_ERROR) {
          const e = this.#error(m, op);
          if (e) throw e;
          return { msgs, interrupted };
        }
        if (m.type === NLMSG_NOOP) continue;
        if (m.type === NLMSG_OVERRUN) throw new NetlinkError(`${op} (overrun)`, 105);
        msgs.push(m);
        if (!(m.flags & NLM_F_MULTI)) return { msgs, interrupted };
      }
    }
  }
}
