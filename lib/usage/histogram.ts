import "server-only";
// Latency histogram sketch kept in the rollups: fixed, log-spaced buckets, so
// histograms of any two rows (hours, days, dimensions) merge by adding counts.
// Pure; also used by tests and the bench.
//
// Bucket 0 is [0, 1) ms. Bucket i (1…60) is [THRESHOLDS[i-1], THRESHOLDS[i]);
// bucket 61 is [2^20 ms ≈ 17.5 min, ∞). Boundaries are integers (latencies are
// whole milliseconds), 1 ms apart up to 11 ms and then a factor of about 2^(1/3)
// apart, so SQL's width_bucket() and bucketIndex() below agree exactly.
//
// Accuracy: the rank of a percentile is exact (counts are exact). Its value is
// interpolated geometrically inside the bucket holding that rank, so it lies in
// the same bucket as the exact percentile: within 1 ms below 11 ms, and within a
// factor of 1.32 (worst case, 1.26 for most buckets) above. On realistic, smooth latency
// distributions the error is a few percent (tests/unit/usage/histogram.test.ts).

function thresholds(): number[] {
  const t = [1];
  for (let i = 2; ; i++) {
    const next = Math.max(t[t.length - 1]! + 1, Math.ceil(2 ** ((i - 1) / 3) - 1e-9));
    t.push(next);
    if (next >= 2 ** 20) return t;
  }
}

export const LATENCY_THRESHOLDS: readonly number[] = thresholds();
export const LATENCY_BUCKETS = LATENCY_THRESHOLDS.length + 1;
/** The thresholds as a SQL array literal, for width_bucket("latencyMs", …). */
export const LATENCY_THRESHOLDS_SQL = `'{${LATENCY_THRESHOLDS.join(",")}}'::int4[]`;

/** Same result as Postgres' width_bucket(ms, LATENCY_THRESHOLDS). */
export function bucketIndex(ms: number): number {
  let lo = 0;
  let hi = LATENCY_THRESHOLDS.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (LATENCY_THRESHOLDS[mid]! <= ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function emptyHistogram(): number[] {
  return new Array<number>(LATENCY_BUCKETS).fill(0);
}

/** Adds `b` into `a` (either may be empty, meaning all zeros); returns `a` or a new array. */
export function mergeHistogram(a: number[], b: readonly (number | null)[]): number[] {
  if (b.length === 0) return a;
  const out = a.length ? a : emptyHistogram();
  for (let i = 0; i < b.length; i++) out[i]! += Number(b[i] ?? 0);
  return out;
}

/** The p-th percentile (0 < p ≤ 100) of the latencies counted in `h`, or null when it is empty. */
export function histogramPercentile(h: readonly number[], p: number): number | null {
  let total = 0;
  for (const c of h) total += c;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (let i = 0; i < h.length; i++) {
    const c = h[i]!;
    if (c === 0) continue;
    if (seen + c >= rank) {
      if (i === 0) return 0;
      const lo = LATENCY_THRESHOLDS[i - 1]!;
      const hi = LATENCY_THRESHOLDS[i];
      if (hi === undefined) return lo;
      // Rank position inside the bucket, spread evenly on a log scale.
      const f = (rank - seen - 0.5) / c;
      if (hi - lo === 1) return lo;
      return Math.round(lo * (hi / lo) ** f * 10) / 10;
    }
    seen += c;
  }
  return null;
}
