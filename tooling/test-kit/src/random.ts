/**
 * A deterministic pseudo-random integer source for fuzz tests (a linear congruential generator):
 * `rnd(n)` gives 0 ≤ x < n, the same sequence for the same seed on every run.
 */
export function seededRandom(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
}
