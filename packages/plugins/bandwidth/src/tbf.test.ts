import { describe, expect, it } from 'vitest';
import { goUint32, parsePsched, tbfParams } from './tbf.js';

describe('parsePsched', () => {
  it('computes tick_in_usec as iproute2 does (1000/64 on a high-resolution kernel)', () => {
    expect(parsePsched('000003e8 00000040 000f4240 3b9aca00\n')).toBe(15.625);
  });
  it('applies the nanosecond-resolution compatibility rule', () => {
    // t2us is replaced by us2t when clock_res is 1e9: (64/64) × 1000
    expect(parsePsched('000003e8 00000040 3b9aca00 3b9aca00')).toBe(1000);
  });
  it('an old kernel with a 1:1 clock', () => {
    expect(parsePsched('00000001 00000001 000f4240 00000064')).toBe(1);
  });
  it('rejects garbage', () => {
    expect(() => parsePsched('')).toThrow(/psched/);
    expect(() => parsePsched('zz 1 2 3')).toThrow(/field "zz"/);
    expect(() => parsePsched('1 0 f4240 0')).toThrow(/psched/);
  });
});

describe('goUint32', () => {
  it('truncates toward zero and wraps like Go on amd64', () => {
    expect(goUint32(1.9)).toBe(1);
    expect(goUint32(0)).toBe(0);
    expect(goUint32(2 ** 32 + 5.5)).toBe(5);
    expect(goUint32(Number.POSITIVE_INFINITY)).toBe(0);
    expect(goUint32(Number.NaN)).toBe(0);
    expect(goUint32(2 ** 64)).toBe(0);
  });
});

describe('tbfParams', () => {
  const tick = 15.625;
  it('matches the reference test numbers', () => {
    // ingressRate 8 / burst 8 bits → 1 byte/s, 1 byte: limit 0 + 1
    expect(tbfParams(8, 8, tick)).toEqual({ rate: 1, burst: 1, buffer: 15_625_000, limit: 1 });
    // egressRate 16 / burst 9 bits → 2 bytes/s, 1 byte
    expect(tbfParams(16, 9, tick)).toEqual({ rate: 2, burst: 1, buffer: 7_812_500, limit: 1 });
    // 8000 bits/s, 80 bits: limit 25 + 10
    expect(tbfParams(8000, 80, tick)).toMatchObject({ rate: 1000, limit: 35 });
  });
  it('what tc shows for the Go plugin (rate 8Kbit burst 2000b lat 25ms)', () => {
    expect(tbfParams(8000, 16000, tick)).toEqual({
      rate: 1000,
      burst: 2000,
      buffer: 31_250_000,
      limit: 2025,
    });
    expect(tbfParams(12000, 24000, tick)).toEqual({
      rate: 1500,
      burst: 3000,
      buffer: 31_250_000,
      limit: 3037,
    });
  });
  it('large rates: 10 Gbit/s', () => {
    const p = tbfParams(10e9, 8e6, tick);
    expect(p.rate).toBe(1_250_000_000);
    expect(p.buffer).toBe(12_500); // 800 µs
    expect(p.limit).toBe(31_250_000 + 1_000_000);
  });
  it('burst time beyond 2^32 µs wraps as in Go', () => {
    // 1 byte/s, (2^32-1) bytes → 4.29e15 µs → truncated to the low 32 bits
    const p = tbfParams(8, 8 * 0xffffffff, 1);
    expect(p.buffer).toBe(goUint32(0xffffffff * 1e6));
  });
});
