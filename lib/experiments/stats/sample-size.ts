import { normalQuantile } from "./special";

export type SampleSizeInput = {
  /** Baseline (control) rate for binary metrics, or mean for continuous ones. */
  baseline: number;
  /** Minimum detectable effect, relative to the baseline (0.1 = a 10% lift). */
  mde: number;
  /** Per-observation standard deviation; required for continuous metrics. */
  standardDeviation?: number;
  alpha?: number;
  power?: number;
};

/**
 * Observations per arm for a two-sided fixed-horizon test of two equal arms.
 * Binary: the formula of R's power.prop.test (normal approximation, no continuity correction):
 *   n = (z₁₋α/₂·√(2·p̄q̄) + z₁₋β·√(p₁q₁ + p₂q₂))² / (p₂ − p₁)²,  p̄ = (p₁+p₂)/2.
 * Continuous: n = 2σ²(z₁₋α/₂ + z₁₋β)² / δ² with δ = mde·|baseline|.
 * Rounded up. Returns null when the inputs cannot define a test (p₂ outside (0,1), δ = 0, …).
 */
export function requiredSampleSize(kind: "binary" | "continuous", input: SampleSizeInput): number | null {
  const alpha = input.alpha ?? 0.05;
  const power = input.power ?? 0.8;
  const za = normalQuantile(1 - alpha / 2);
  const zb = normalQuantile(power);
  if (!(input.mde !== 0 && Number.isFinite(input.mde))) return null;
  if (kind === "binary") {
    const p1 = input.baseline;
    const p2 = p1 * (1 + input.mde);
    if (!(p1 > 0 && p1 < 1 && p2 > 0 && p2 < 1)) return null;
    const pbar = (p1 + p2) / 2;
    const n = (za * Math.sqrt(2 * pbar * (1 - pbar)) + zb * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / (p2 - p1) ** 2;
    return Math.ceil(n);
  }
  const sd = input.standardDeviation;
  const delta = Math.abs(input.mde * input.baseline);
  if (!(sd !== undefined && sd > 0 && delta > 0)) return null;
  return Math.ceil((2 * sd * sd * (za + zb) ** 2) / (delta * delta));
}
