import { chiSquareSf } from "./special";

export type SrmResult = { chiSquare: number; df: number; pValue: number; mismatch: boolean; expected: number[] };

/**
 * Sample-ratio-mismatch check: Pearson's χ² goodness of fit of the observed assignment counts
 * against the configured weights. The conventional alarm threshold is p < 0.001 (Kohavi et al.,
 * "Trustworthy Online Controlled Experiments", ch. 21): strict, because the check runs on every
 * refresh and a real SRM produces vanishingly small p-values.
 */
export function sampleRatioMismatch(observed: readonly number[], weights: readonly number[], threshold = 0.001): SrmResult {
  const total = observed.reduce((a, b) => a + b, 0);
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const cells = observed.map((o, i) => ({ o, w: weights[i] ?? 0 })).filter((c) => c.w > 0);
  const expected = observed.map((_, i) => (weightSum > 0 ? (total * (weights[i] ?? 0)) / weightSum : 0));
  if (total === 0 || cells.length < 2) return { chiSquare: 0, df: Math.max(0, cells.length - 1), pValue: 1, mismatch: false, expected };
  let chi = 0;
  for (const c of cells) {
    const e = (total * c.w) / weightSum;
    chi += ((c.o - e) * (c.o - e)) / e;
  }
  // Assignments to a zero-weight variant are a mismatch by definition.
  const strays = observed.some((o, i) => (weights[i] ?? 0) <= 0 && o > 0);
  const df = cells.length - 1;
  const pValue = strays ? 0 : chiSquareSf(chi, df);
  return { chiSquare: strays ? Infinity : chi, df, pValue, mismatch: pValue < threshold, expected };
}
