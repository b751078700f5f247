import { normalQuantile, studentTQuantile } from "./special";
import { mean, sampleVariance, varianceOfMean, type MetricKind, type MetricSummary } from "./summary";
import { welchTTest } from "./tests";

export type Interval = { estimate: number; lower: number; upper: number };

const NaNInterval: Interval = { estimate: NaN, lower: NaN, upper: NaN };

/**
 * Wilson score interval for a proportion (Wilson 1927). Unlike the Wald interval it stays inside
 * [0, 1] and keeps near-nominal coverage at small n or rates near 0/1, which is where feedback
 * rates on young experiments live.
 */
export function wilsonInterval(successes: number, n: number, confidence = 0.95, z = normalQuantile(1 - (1 - confidence) / 2)): Interval {
  if (n === 0) return NaNInterval;
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { estimate: p, lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}

/** t interval for a mean: x̄ ± t(1−α/2, n−1)·s/√n. */
export function meanInterval(s: MetricSummary, confidence = 0.95): Interval {
  if (s.n < 2) return { estimate: mean(s), lower: NaN, upper: NaN };
  const m = mean(s);
  const half = studentTQuantile(1 - (1 - confidence) / 2, s.n - 1) * Math.sqrt(sampleVariance(s) / s.n);
  return { estimate: m, lower: m - half, upper: m + half };
}

/** The interval a results row shows for one variant: Wilson for rates, t for means. */
export function metricInterval(s: MetricSummary, kind: MetricKind, confidence = 0.95): Interval {
  return kind === "binary" ? wilsonInterval(s.sum, s.n, confidence) : meanInterval(s, confidence);
}

/**
 * Newcombe's hybrid score interval for p_treatment − p_control (Newcombe 1998, method 10),
 * built from the two Wilson intervals.
 */
export function newcombeDifference(control: MetricSummary, treatment: MetricSummary, confidence = 0.95): Interval {
  if (control.n === 0 || treatment.n === 0) return NaNInterval;
  const c = wilsonInterval(control.sum, control.n, confidence);
  const t = wilsonInterval(treatment.sum, treatment.n, confidence);
  const d = t.estimate - c.estimate;
  return {
    estimate: d,
    lower: d - Math.sqrt((t.estimate - t.lower) ** 2 + (c.upper - c.estimate) ** 2),
    upper: d + Math.sqrt((t.upper - t.estimate) ** 2 + (c.estimate - c.lower) ** 2),
  };
}

/** Welch interval for μ_treatment − μ_control (matches welchTTest: the interval excludes 0 iff p < α). */
export function welchDifference(control: MetricSummary, treatment: MetricSummary, confidence = 0.95): Interval {
  const test = welchTTest(control, treatment);
  const d = mean(treatment) - mean(control);
  if (!Number.isFinite(test.df)) return { estimate: d, lower: NaN, upper: NaN };
  const se = Math.sqrt(sampleVariance(control) / control.n + sampleVariance(treatment) / treatment.n);
  const half = studentTQuantile(1 - (1 - confidence) / 2, test.df) * se;
  return { estimate: d, lower: d - half, upper: d + half };
}

/** Absolute lift interval: Newcombe for rates, Welch for means. */
export function absoluteLiftInterval(control: MetricSummary, treatment: MetricSummary, kind: MetricKind, confidence = 0.95): Interval {
  return kind === "binary" ? newcombeDifference(control, treatment, confidence) : welchDifference(control, treatment, confidence);
}

/**
 * Relative lift (μ_t / μ_c − 1) with a delta-method interval:
 * Var(μ̂_t/μ̂_c) ≈ Var(μ̂_t)/μ_c² + μ_t²·Var(μ̂_c)/μ_c⁴ (independent arms). Symmetric and
 * defined for any sign of μ_t; undefined when the control mean is 0. This is the
 * same approximation GrowthBook and Eppo report; it needs a control mean well away
 * from 0 relative to its standard error, which the UI states beside the number.
 */
export function relativeLiftInterval(control: MetricSummary, treatment: MetricSummary, kind: MetricKind, confidence = 0.95): Interval {
  const mc = mean(control);
  const mt = mean(treatment);
  if (!Number.isFinite(mc) || !Number.isFinite(mt) || mc === 0) return NaNInterval;
  const vc = varianceOfMean(control, kind);
  const vt = varianceOfMean(treatment, kind);
  const lift = mt / mc - 1;
  const se = Math.sqrt(vt / (mc * mc) + (mt * mt * vc) / mc ** 4);
  if (!Number.isFinite(se)) return { estimate: lift, lower: NaN, upper: NaN };
  const z = normalQuantile(1 - (1 - confidence) / 2);
  return { estimate: lift, lower: lift - z * se, upper: lift + z * se };
}
