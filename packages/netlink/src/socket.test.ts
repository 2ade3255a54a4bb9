import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeMessages,
  encodeMessage,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_MULTI,
} from './codec/message.js';
import { isExists, isNotFound, NetlinkError } from './errors.js';
import { NlSocket, type Transport } from './socket.js';

const DONE = 3;
const ERROR = 2;

function msg(type: number, flags: number, seq: number, payload: Buffer = Buffer.alloc(4)): Buffer {
  return encodeMessage({ type, flags, seq, pid: 0, payload });
}
function ack(seq: number, errno = 0): Buffer {
  const p = Buffer.alloc(20);
  p.writeInt32LE(-errno, 0);
  return msg(ERROR, 0x100, seq, p);
}

/** A scripted kernel: answers each request with datagrams built from its sequence number. */
function scripted(
  answer: (req: { type: number; flags: number; seq: number }, n: number) => (Buffer | number)[],
): {
  io: Transport;
  sent: { type: number; flags: number; seq: number }[];
} {
  const sent: { type: number; flags: number; seq: number }[] = [];
  const queue: (Buffer | number)[] = [];
  const io: Transport = {
    send(d) {
      const [m] = decodeMessages(d);
      const req = { type: m!.type, flags: m!.flags, seq: m!.seq };
      sent.push(req);
      queue.push(...answer(req, sent.length));
      return d.length;
    },
    recv() {
      return queue.shift() ?? -11; // EAGAIN: the receive timeout
    },
    close() {},
  };
  return { io, sent };
}

describe('NlSocket request/answer logic', () => {
  it('an ACK ends a change; the flags say request + ack', () => {
    const { io, sent } = scripted((r) => [ack(r.seq)]);
    const s = NlSocket.fromTransport(io);
    s.ack(16, 0x600, Buffer.alloc(16), 'link add x');
    expect(sent[0]).toMatchObject({ type: 16, flags: 0x600 | 1 | NLM_F_ACK });
  });

  it('skips stale answers to earlier requests (sequence check)', () => {
    const { io } = scripted((r) => [ack(r.seq - 1, 17), ack(r.seq)]);
    expect(() => NlSocket.fromTransport(io).ack(16, 0, Buffer.alloc(16), 'x')).not.toThrow();
  });

  it('turns an error into NetlinkError with errno name and the extended-ack text', () => {
    const f = JSON.parse(
      readFileSync(join(import.meta.dirname, 'fixtures', 'error-extack.json'), 'utf8'),
    ) as { messages: string[] };
    const captured = Buffer.from(f.messages[0]!, 'hex');
    const { io } = scripted((r) => {
      const b = Buffer.from(captured);
      b.writeUInt32LE(r.seq, 8);
      return [b];
    });
    let err: unknown;
    try {
      NlSocket.fromTransport(io).ack(24, 0x600, Buffer.alloc(12), 'route add 10.8.0.0/16 via 192.168.77.1');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NetlinkError);
    expect(err).toMatchObject({
      errno: 101,
      code: 'ENETUNREACH',
      extack: 'Nexthop has invalid gateway',
      op: 'route add 10.8.0.0/16 via 192.168.77.1',
    });
    expect((err as Error).message).toBe(
      'route add 10.8.0.0/16 via 192.168.77.1: Nexthop has invalid gateway (network is unreachable)',
    );
  });

  it('classifies errors', () => {
    expect(isExists(new NetlinkError('x', 17))).toBe(true);
    for (const errno of [19, 2, 3, 99]) expect(isNotFound(new NetlinkError('x', errno))).toBe(true);
    expect(isNotFound(new NetlinkError('x', 22, 'Link not found'))).toBe(true);
    expect(isNotFound(new NetlinkError('x', 22))).toBe(false);
    expect(isNotFound(new Error('ENODEV'))).toBe(false);
  });

  it('a non-dump GET reads exactly one reply and never waits for an ACK', () => {
    const { io, sent } = scripted((r) => [msg(16, 0, r.seq, Buffer.alloc(16, 1))]);
    const s = NlSocket.fromTransport(io);
    const m = s.get(18, Buffer.alloc(16), 'link get x');
    expect(m.type).toBe(16);
    expect(sent[0]!.flags & NLM_F_ACK).toBe(0);
    // a GET answered by an error throws it
    const { io: io2 } = scripted((r) => [ack(r.seq, 19)]);
    expect(() => NlSocket.fromTransport(io2).get(18, Buffer.alloc(16), 'link get y')).toThrow(
      /link get y: no such device/,
    );
  });

  it('collects a multipart dump across datagrams until NLMSG_DONE', () => {
    const { io, sent } = scripted((r) => [
      Buffer.concat([msg(16, NLM_F_MULTI, r.seq), msg(16, NLM_F_MULTI, r.seq)]),
      msg(16, NLM_F_MULTI, r.seq),
      msg(DONE, NLM_F_MULTI, r.seq),
    ]);
    expect(NlSocket.fromTransport(io).dump(18, Buffer.alloc(16), 'link list')).toHaveLength(3);
    expect(sent[0]!.flags & NLM_F_DUMP).toBe(NLM_F_DUMP);
  });

  it('retries a dump the kernel flagged NLM_F_DUMP_INTR, up to 5 times', () => {
    const flaky = scripted((r, n) => [
      msg(16, NLM_F_MULTI | (n < 3 ? NLM_F_DUMP_INTR : 0), r.seq),
      msg(DONE, NLM_F_MULTI, r.seq),
    ]);
    expect(NlSocket.fromTransport(flaky.io).dump(18, Buffer.alloc(16), 'link list')).toHaveLength(1);
    expect(flaky.sent).toHaveLength(3);
    const always = scripted((r) => [
      msg(16, NLM_F_MULTI | NLM_F_DUMP_INTR, r.seq),
      msg(DONE, NLM_F_MULTI, r.seq),
    ]);
    expect(() => NlSocket.fromTransport(always.io).dump(18, Buffer.alloc(16), 'link list')).toThrow(
      /interrupted 5 times/,
    );
    expect(always.sent).toHaveLength(5);
  });

  it('a dump that fails reports the errno carried by NLMSG_DONE', () => {
    const p = Buffer.alloc(4);
    p.writeInt32LE(-22);
    const { io } = scripted((r) => [msg(DONE, NLM_F_MULTI, r.seq, p)]);
    expect(() => NlSocket.fromTransport(io).dump(18, Buffer.alloc(16), 'link list')).toThrow(
      /invalid argument/,
    );
  });

  it('a silent kernel is a timeout error, not a hang', () => {
    const { io } = scripted(() => []);
    let err: unknown;
    try {
      NlSocket.fromTransport(io).ack(16, 0, Buffer.alloc(16), 'link add z');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'ETIMEDOUT' });
    expect((err as Error).message).toMatch(/link add z \(no answer from the kernel\)/);
  });

  it('refuses to use a closed socket', () => {
    const { io } = scripted((r) => [ack(r.seq)]);
    const s = NlSocket.fromTransport(io);
    s.close();
    expect(() => s.ack(16, 0, Buffer.alloc(16), 'x')).toThrow(/socket closed/);
  });
});
