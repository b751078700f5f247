// Pure: the retry schedule of a delivery (unit-tested).

/**
 * The wait before the next attempt: base × 2^(attempts−1), at most max, scaled by a random factor in
 * [0.8, 1.2) so that endpoints that failed together do not retry together.
 */
export function retryDelayMs(attempts: number, base: number, max: number, random: number = Math.random()): number {
  const exp = Math.min(max, base * 2 ** Math.min(Math.max(attempts - 1, 0), 40));
  return Math.max(1, Math.round(exp * (0.8 + 0.4 * random)));
}
