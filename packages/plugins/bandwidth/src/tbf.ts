// The reference's TBF arithmetic (vishvananda/netlink + iproute2 tc_core): rate and burst in
// bytes, buffer = burst time converted to kernel clock ticks, limit = rate × 25 ms + burst.
import { readFileSync } from 'node:fs';

/** TIME_UNITS_PER_SEC of iproute2 / netlink: microseconds. */
export const TIME_UNITS_PER_SEC = 1_000_000;
/** The queueing latency the reference allows (ms). */
export const LATENCY_MS = 25;

/**
 * tick_in_usec from the text of /proc/net/psched ("t2us us2t clock_res ..." in hex), as
 * iproute2's tc_core_init and netlink's initClock compute it.
 */
export function parsePsched(text: string): number {
  const parts = text.trim().split(/\s+/);
  if (parts.length < 3) throw new Error(`unexpected /proc/net/psched content ${JSON.stringify(text)}`);
  const vals = parts.slice(0, 3).map((p) => {
    if (!/^[0-9a-fA-F]{1,8}$/.test(p))
      throw new Error(`unexpected /proc/net/psched field ${JSON.stringify(p)}`);
    return Number.parseInt(p, 16);
  });
  let [t2us, us2t, clockRes] = vals as [number, number, number];
  // compatibility: a kernel with nanosecond resolution advertises a multiplier of 1000
  if (clockRes === 1_000_000_000) t2us = us2t;
  if (us2t === 0) throw new Error(`unexpected /proc/net/psched content ${JSON.stringify(text)}`);
  const clockFactor = clockRes / TIME_UNITS_PER_SEC;
  return (t2us / us2t) * clockFactor;
}

let cachedTick: number | undefined;

/** The kernel's clock ticks per microsecond (read once per process). */
export function tickInUsec(): number {
  cachedTick ??= parsePsched(readFileSync('/proc/net/psched', 'utf8'));
  return cachedTick;
}

/**
 * Go's uint32(float64) on amd64: truncate towards zero through int64, keep the low 32 bits
 * (out-of-range and NaN become 0x8000000000000000, whose low bits are 0).
 */
export function goUint32(f: number): number {
  if (!Number.isFinite(f) || f >= 2 ** 63 || f < -(2 ** 63)) return 0;
  return Number(BigInt.asUintN(32, BigInt(Math.trunc(f))));
}

export interface TbfParams {
  /** bytes/s */
  rate: number;
  /** bytes */
  burst: number;
  /** kernel ticks */
  buffer: number;
  /** bytes */
  limit: number;
}

/** The numbers the reference puts in (and CHECK expects from) a TBF qdisc. */
export function tbfParams(rateBits: number, burstBits: number, tick: number): TbfParams {
  const rate = Math.floor(rateBits / 8);
  const burst = goUint32(Math.floor(burstBits / 8));
  const timeUs = goUint32((burst * TIME_UNITS_PER_SEC) / rate);
  const buffer = goUint32(timeUs * tick);
  const latency = TIME_UNITS_PER_SEC * (LATENCY_MS / 1000.0);
  const limit = (goUint32((rate * latency) / TIME_UNITS_PER_SEC) + burst) >>> 0;
  return { rate, burst, buffer, limit };
}
