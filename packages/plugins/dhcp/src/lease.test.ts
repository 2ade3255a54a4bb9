import { describe, expect, it } from 'vitest';
import { leaseTimes } from './lease.js';
import { newMessage, Opt, u32 } from './packet.js';

const ack = (opts: [number, number][]) => {
  const m = newMessage({ xid: 1, chaddr: '02:00:00:00:00:01' });
  for (const [k, v] of opts) m.options.set(k, u32(v));
  return m;
};

describe('leaseTimes', () => {
  it('defaults: lease 1 h, T1 50 %, T2 85 %', () => {
    expect(leaseTimes(ack([]), 1000)).toEqual({
      renewAt: 1000 + 1_800_000,
      rebindAt: 1000 + 3_060_000,
      expireAt: 1000 + 3_600_000,
    });
    expect(leaseTimes(ack([[Opt.LEASE_TIME, 120]]), 0)).toEqual({
      renewAt: 60_000,
      rebindAt: 102_000,
      expireAt: 120_000,
    });
  });
  it('options 58 and 59 override', () => {
    expect(
      leaseTimes(
        ack([
          [Opt.LEASE_TIME, 120],
          [Opt.T1, 10],
          [Opt.T2, 14],
        ]),
        0,
      ),
    ).toEqual({
      renewAt: 10_000,
      rebindAt: 14_000,
      expireAt: 120_000,
    });
  });
});
