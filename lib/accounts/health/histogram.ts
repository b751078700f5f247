import "server-only";

// Fixed latency buckets (upper bounds in ms, the last is open-ended). Fixed
// bounds let per-minute histograms from any instance be summed element-wise
// in SQL and still give p50/p95 within one bucket's width.
export const LATENCY_BOUNDS_MS = [5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10_000, 30_000, Infinity] as const;
export const BUCKETS = LATENCY_BOUNDS_MS.length;

export function emptyHistogram(): number[] {
  return new Array<number>(BUCKETS).fill(0);
}

export function bucketOf(ms: number): number {
  for (let i = 0; i < BUCKETS; i++) if (ms <= LATENCY_BOUNDS_MS[i]!) return i;
  return BUCKETS - 1;
}

export function addInto(target: number[], source: readonly number[]): number[] {
  for (let i = 0; i < BUCKETS; i++) target[i] = (target[i] ?? 0) + (source[i] ?? 0);
  return target;
}

/** The q-quantile (0..1), interpolated linearly inside its bucket; null for an empty histogram. */
export function quantile(hist: readonly number[], q: number): number | null {
  let total = 0;
  for (let i = 0; i < BUCKETS; i++) total += hist[i] ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    const n = hist[i] ?? 0;
    if (n === 0) continue;
    if (seen + n >= rank) {
      const lo = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      // The open-ended bucket has no upper bound to interpolate towards: report its floor.
      const hi = Number.isFinite(LATENCY_BOUNDS_MS[i]!) ? LATENCY_BOUNDS_MS[i]! : lo;
      return Math.round(lo + ((rank - seen) / n) * (hi - lo));
    }
    seen += n;
  }
  return LATENCY_BOUNDS_MS[BUCKETS - 2]!;
}
