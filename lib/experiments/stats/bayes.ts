import { createRng } from "./random";
import { mean, sampleVariance, type MetricKind, type MetricSummary } from "./summary";

export const BAYES_SEED = 20261121;
export const BAYES_DRAWS = 20_000;

export type BayesResult = {
  /** P(variant i has the best true value), summing to 1 over variants with data. */
  probabilityBest: number[];
  /** P(variant i beats variant 0 — the control). */
  probabilityBeatsControl: number[];
};

/**
 * Monte Carlo probability that each variant is best.
 * Binary metrics: Beta(1 + successes, 1 + failures) posteriors (uniform prior).
 * Continuous metrics: normal posterior N(x̄, s²/n) (flat prior, large-sample).
 * Variants with too little data (n = 0, or n < 2 for continuous) never win and get NaN.
 * The PRNG seed is fixed so a refresh with the same data shows the same numbers.
 */
export function probabilityBest(
  variants: readonly MetricSummary[],
  kind: MetricKind,
  opts: { higherIsBetter?: boolean; draws?: number; seed?: number } = {},
): BayesResult {
  const draws = opts.draws ?? BAYES_DRAWS;
  const sign = opts.higherIsBetter === false ? -1 : 1;
  const rng = createRng(opts.seed ?? BAYES_SEED);
  const usable = variants.map((v) => (kind === "binary" ? v.n > 0 : v.n >= 2));
  const sd = variants.map((v) => (kind === "continuous" && v.n >= 2 ? Math.sqrt(sampleVariance(v) / v.n) : 0));
  const wins = variants.map(() => 0);
  const beats = variants.map(() => 0);
  const sample = new Array<number>(variants.length);
  for (let d = 0; d < draws; d++) {
    let best = -1;
    let bestValue = -Infinity;
    for (let i = 0; i < variants.length; i++) {
      if (!usable[i]) continue;
      const v = variants[i]!;
      const x = kind === "binary" ? rng.beta(1 + v.sum, 1 + v.n - v.sum) : mean(v) + sd[i]! * rng.normal();
      sample[i] = sign * x;
      if (sample[i]! > bestValue) {
        bestValue = sample[i]!;
        best = i;
      }
    }
    if (best >= 0) wins[best]! += 1;
    if (usable[0]) for (let i = 1; i < variants.length; i++) if (usable[i] && sample[i]! > sample[0]!) beats[i]! += 1;
  }
  return {
    probabilityBest: wins.map((w, i) => (usable[i] ? w / draws : NaN)),
    probabilityBeatsControl: beats.map((b, i) => (i === 0 || !usable[i] || !usable[0] ? NaN : b / draws)),
  };
}
