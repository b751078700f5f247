import { absoluteLiftInterval, metricInterval, relativeLiftInterval, type Interval } from "./intervals";
import { msprt, sequentialVerdict, DEFAULT_MIXING_TAU, type SequentialResult, type Verdict } from "./sequential";
import { mean, type MetricKind, type MetricSummary } from "./summary";
import { twoProportionZTest, welchTTest, type TestResult } from "./tests";

export type Comparison = {
  absoluteLift: Interval;
  relativeLift: Interval;
  /** Fixed-horizon test: valid only when read once, at a sample size fixed in advance. */
  fixedHorizon: TestResult & { test: "two-proportion z-test" | "Welch's t-test" };
  sequential: SequentialResult;
  verdict: Verdict;
  /** The α this comparison was judged at (Bonferroni-split across treatments). */
  alpha: number;
};

export type CompareOptions = {
  alpha?: number;
  /** Number of treatment arms compared with the control; α is divided among them. */
  comparisons?: number;
  /** Relative minimum detectable effect for the "no detectable difference" verdict. */
  mde?: number | null;
  tau?: number;
  /** Lowest always-valid p-value seen at earlier checkpoints of this phase (running minimum). */
  priorMinPValue?: number;
};

export function compareToControl(control: MetricSummary, treatment: MetricSummary, kind: MetricKind, opts: CompareOptions = {}): Comparison {
  const alpha = (opts.alpha ?? 0.05) / Math.max(1, opts.comparisons ?? 1);
  const confidence = 1 - alpha;
  const test = kind === "binary" ? twoProportionZTest(control, treatment) : welchTTest(control, treatment);
  const seq = msprt(control, treatment, kind, { alpha, tau: opts.tau ?? DEFAULT_MIXING_TAU });
  const sequential = opts.priorMinPValue !== undefined ? { ...seq, pValue: Math.min(seq.pValue, opts.priorMinPValue) } : seq;
  const mc = mean(control);
  const mdeAbs = opts.mde != null && Number.isFinite(mc) && mc !== 0 ? Math.abs(opts.mde * mc) : null;
  return {
    absoluteLift: absoluteLiftInterval(control, treatment, kind, confidence),
    relativeLift: relativeLiftInterval(control, treatment, kind, confidence),
    fixedHorizon: { ...test, test: kind === "binary" ? "two-proportion z-test" : "Welch's t-test" },
    sequential,
    verdict: sequentialVerdict(sequential, alpha, mdeAbs),
    alpha,
  };
}

export { metricInterval };
