// Sufficient statistics: the database aggregates count, Σx and Σx² per
// variant, and every test below works from those three numbers.

export type MetricKind = "binary" | "continuous";

/** Sufficient statistics of one variant's observations of one metric. */
export type MetricSummary = { n: number; sum: number; sumSquares: number };

export function summarize(values: readonly number[]): MetricSummary {
  let sum = 0;
  let sumSquares = 0;
  for (const v of values) {
    sum += v;
    sumSquares += v * v;
  }
  return { n: values.length, sum, sumSquares };
}

export function binarySummary(successes: number, n: number): MetricSummary {
  return { n, sum: successes, sumSquares: successes };
}

export function mean(s: MetricSummary): number {
  return s.n > 0 ? s.sum / s.n : NaN;
}

/** Unbiased sample variance (n − 1 denominator); clamped at 0 against rounding. */
export function sampleVariance(s: MetricSummary): number {
  if (s.n < 2) return NaN;
  const m = s.sum / s.n;
  return Math.max(0, (s.sumSquares - s.n * m * m) / (s.n - 1));
}

/** Variance of the estimator of the mean: p(1−p)/n for binary, s²/n for continuous. */
export function varianceOfMean(s: MetricSummary, kind: MetricKind): number {
  if (s.n === 0) return NaN;
  if (kind === "binary") {
    const p = s.sum / s.n;
    return (p * (1 - p)) / s.n;
  }
  return sampleVariance(s) / s.n;
}

/** Per-observation variance used by the sequential test and sample-size maths. */
export function unitVariance(s: MetricSummary, kind: MetricKind): number {
  if (kind === "binary") {
    const p = s.n > 0 ? s.sum / s.n : NaN;
    return p * (1 - p);
  }
  return sampleVariance(s);
}
