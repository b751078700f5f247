import { chiSquareSf, normalSf, studentTTwoSidedP } from "./special";
import { mean, sampleVariance, summarize, type MetricSummary } from "./summary";

export type TestResult = {
  /** Test statistic (z or t) for treatment − control. */
  statistic: number;
  /** Two-sided p-value. */
  pValue: number;
  /** Degrees of freedom (Infinity for a z-test). */
  df: number;
};

/**
 * Two-proportion z-test with the pooled standard error under H0: p_control = p_treatment.
 * z² equals Pearson's χ² on the 2×2 table without continuity correction.
 */
export function twoProportionZTest(control: MetricSummary, treatment: MetricSummary): TestResult {
  const n1 = control.n;
  const n2 = treatment.n;
  if (n1 === 0 || n2 === 0) return { statistic: NaN, pValue: NaN, df: Infinity };
  const p1 = control.sum / n1;
  const p2 = treatment.sum / n2;
  const pooled = (control.sum + treatment.sum) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return { statistic: 0, pValue: 1, df: Infinity };
  const z = (p2 - p1) / se;
  return { statistic: z, pValue: Math.min(1, 2 * normalSf(Math.abs(z))), df: Infinity };
}

/** Welch's unequal-variance t-test with Welch–Satterthwaite degrees of freedom. */
export function welchTTest(control: MetricSummary, treatment: MetricSummary): TestResult {
  const n1 = control.n;
  const n2 = treatment.n;
  if (n1 < 2 || n2 < 2) return { statistic: NaN, pValue: NaN, df: NaN };
  const v1 = sampleVariance(control) / n1;
  const v2 = sampleVariance(treatment) / n2;
  const diff = mean(treatment) - mean(control);
  const se2 = v1 + v2;
  if (se2 === 0) return diff === 0 ? { statistic: 0, pValue: 1, df: n1 + n2 - 2 } : { statistic: Math.sign(diff) * Infinity, pValue: 0, df: n1 + n2 - 2 };
  const t = diff / Math.sqrt(se2);
  const df = (se2 * se2) / ((v1 * v1) / (n1 - 1) + (v2 * v2) / (n2 - 1));
  return { statistic: t, pValue: Math.min(1, studentTTwoSidedP(t, df)), df };
}

/**
 * McNemar's test for paired pass/fail outcomes: only the discordant pairs count, `b` (control passed,
 * treatment failed) and `c` (control failed, treatment passed). Exact two-sided binomial p below 25
 * discordant pairs, where the χ² approximation is poor; above, χ² with Edwards' continuity correction.
 * The statistic is signed like the other tests here: positive when the treatment passes more often.
 */
export function mcnemarTest(b: number, c: number): TestResult & { exact: boolean } {
  const n = b + c;
  if (n === 0) return { statistic: 0, pValue: 1, df: 1, exact: true };
  if (n < 25) {
    // P(X ≤ min(b, c)) for X ~ Bin(n, ½), doubled.
    const k = Math.min(b, c);
    let tail = 0;
    let term = Math.pow(0.5, n);
    for (let i = 0; i <= k; i++) {
      tail += term;
      term = (term * (n - i)) / (i + 1);
    }
    return { statistic: c - b, pValue: Math.min(1, 2 * tail), df: 1, exact: true };
  }
  const chi2 = (Math.abs(b - c) - 1) ** 2 / n;
  return { statistic: Math.sign(c - b) * Math.sqrt(chi2), pValue: Math.min(1, chiSquareSf(chi2, 1)), df: 1, exact: false };
}

/** Paired t-test on per-pair differences (treatment − control): t = d̄ / (s_d / √n), n − 1 degrees of freedom. */
export function pairedTTest(differences: readonly number[]): TestResult & { meanDifference: number } {
  const s = summarize(differences);
  const n = s.n;
  const d = mean(s);
  if (n < 2) return { statistic: NaN, pValue: NaN, df: NaN, meanDifference: d };
  const v = sampleVariance(s);
  if (v === 0) return d === 0 ? { statistic: 0, pValue: 1, df: n - 1, meanDifference: d } : { statistic: Math.sign(d) * Infinity, pValue: 0, df: n - 1, meanDifference: d };
  const t = d / Math.sqrt(v / n);
  return { statistic: t, pValue: Math.min(1, studentTTwoSidedP(t, n - 1)), df: n - 1, meanDifference: d };
}
