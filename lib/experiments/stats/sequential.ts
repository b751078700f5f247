import { mean, unitVariance, type MetricKind, type MetricSummary } from "./summary";
import type { Interval } from "./intervals";

// Always-valid inference by the mixture sequential probability ratio test
// (mSPRT; Robbins 1970, Johari, Koomen, Pekelis & Walsh, "Always Valid
// Inference", Operations Research 2022), in its two-sample normal form with
// plug-in variances (the large-sample form Optimizely's Stats Engine uses).
//
//   θ̂ = mean_t − mean_c            V = σ²_c/n_c + σ²_t/n_t   (Var θ̂)
//   mixing distribution θ ~ N(0, τ²) under the alternative
//   Λ = √(V/(V+τ²)) · exp( θ̂²·τ² / (2V(V+τ²)) )
//
// Under H0 (θ = 0) Λ is a nonnegative martingale with mean 1, so by Ville's
// inequality P(∃n: Λ_n ≥ 1/α) ≤ α: rejecting when Λ ≥ 1/α keeps the false
// positive rate at α no matter how often, or when, anyone looks. The
// always-valid p-value is min(1, 1/Λ) (its running minimum over checkpoints is
// equally valid), and inverting the test gives the confidence sequence
//
//   θ̂ ± √( V(V+τ²)/τ² · (2 ln(1/α) + ln((V+τ²)/V)) ).
//
// Mixing parameter: τ = tau × σ_pooled with σ²_pooled = (σ²_c + σ²_t)/2, i.e. the
// prior on the true effect is N(0, (0.1 standard deviations)²) by default. The
// boundary is tightest when V ≈ τ²/10 … τ²/100, i.e. with ~600 to 60,000
// observations per arm at tau = 0.1 — the range of a typical prompt experiment.
// Validity holds for any tau; tau only moves where power is highest.

export const DEFAULT_MIXING_TAU = 0.1;

export type Verdict = "significant" | "keep running" | "no detectable difference at this sample size";

export type SequentialResult = {
  /** Mixture likelihood ratio Λ. */
  lambda: number;
  /** Always-valid p-value min(1, 1/Λ) at this look. */
  pValue: number;
  /** Always-valid (1 − α) confidence sequence for mean_t − mean_c. */
  interval: Interval;
  /** |z| the current look needs to cross the boundary Λ = 1/α. */
  zBoundary: number;
  z: number;
};

export type SequentialOptions = { alpha?: number; tau?: number };

/** Boundary in z units: Λ ≥ 1/α ⇔ z² ≥ (1+ν)/ν · (2 ln(1/α) + ln(1+ν)), where ν = τ²/V. */
export function msprtZBoundary(nu: number, alpha: number): number {
  return Math.sqrt(((1 + nu) / nu) * (2 * Math.log(1 / alpha) + Math.log1p(nu)));
}

export function msprt(control: MetricSummary, treatment: MetricSummary, kind: MetricKind, opts: SequentialOptions = {}): SequentialResult {
  const alpha = opts.alpha ?? 0.05;
  const tau = opts.tau ?? DEFAULT_MIXING_TAU;
  const theta = mean(treatment) - mean(control);
  const vc = unitVariance(control, kind);
  const vt = unitVariance(treatment, kind);
  const V = vc / control.n + vt / treatment.n;
  const tau2 = tau * tau * ((vc + vt) / 2);
  const empty = { lambda: 1, pValue: 1, interval: { estimate: theta, lower: -Infinity, upper: Infinity }, zBoundary: Infinity, z: 0 };
  if (!(control.n >= 2 && treatment.n >= 2) || !Number.isFinite(V) || !Number.isFinite(theta)) return empty;
  if (V === 0 || tau2 === 0) {
    // Both arms constant so far (e.g. every rating identical): no evidence either way yet.
    return { ...empty, interval: { estimate: theta, lower: -Infinity, upper: Infinity } };
  }
  const nu = tau2 / V;
  const logLambda = 0.5 * Math.log(V / (V + tau2)) + (theta * theta * tau2) / (2 * V * (V + tau2));
  const lambda = Math.exp(logLambda);
  const half = Math.sqrt(((V * (V + tau2)) / tau2) * (2 * Math.log(1 / alpha) + Math.log((V + tau2) / V)));
  return {
    lambda,
    pValue: Math.min(1, Math.exp(-logLambda)),
    interval: { estimate: theta, lower: theta - half, upper: theta + half },
    zBoundary: msprtZBoundary(nu, alpha),
    z: theta / Math.sqrt(V),
  };
}

/**
 * Plain-language verdict from the always-valid results.
 * - "significant": the always-valid p-value is ≤ α (the confidence sequence excludes 0).
 * - "no detectable difference at this sample size": the confidence sequence already rules out
 *   any effect as large as the minimum detectable effect in either direction, so more data
 *   would only confirm a difference too small to matter.
 * - otherwise "keep running".
 * `mdeAbsolute` is the MDE in metric units (relative MDE × |control mean|).
 */
export function sequentialVerdict(result: Pick<SequentialResult, "pValue" | "interval">, alpha: number, mdeAbsolute: number | null): Verdict {
  if (result.pValue <= alpha) return "significant";
  if (mdeAbsolute !== null && mdeAbsolute > 0 && result.interval.lower > -mdeAbsolute && result.interval.upper < mdeAbsolute) {
    return "no detectable difference at this sample size";
  }
  return "keep running";
}
