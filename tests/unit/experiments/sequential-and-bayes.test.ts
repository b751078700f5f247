import { describe, expect, it } from "vitest";
import {
  binarySummary,
  compareToControl,
  msprt,
  msprtZBoundary,
  probabilityBest,
  sequentialVerdict,
  summarize,
  type MetricSummary,
} from "@/lib/experiments/stats";

describe("mSPRT (normal mixture) boundary", () => {
  it("equals the one-sample formula of Johari et al. (2022), Λ = √(σ²/(σ²+nτ²))·exp(n²τ²ȳ²/(2σ²(σ²+nτ²)))", () => {
    // Two arms of n = 400 with equal variance σ²: the difference has per-pair variance 2σ², so the
    // paper's one-sample statistic applies with σ²_pair = 2σ², n pairs and ȳ = the mean difference.
    const n = 400;
    const c: MetricSummary = { n, sum: n * 0.3, sumSquares: n * 0.3 };
    const t: MetricSummary = { n, sum: n * 0.36, sumSquares: n * 0.36 };
    const r = msprt(c, t, "binary", { tau: 0.1 });
    const s2c = 0.3 * 0.7;
    const s2t = 0.36 * 0.64;
    // With unequal arm variances the pair variance is σ²_c + σ²_t and τ² = 0.1²·(σ²_c + σ²_t)/2.
    const sigma2 = s2c + s2t;
    const tau2 = 0.01 * (sigma2 / 2);
    const ybar = 0.06;
    const paper = Math.sqrt(sigma2 / (sigma2 + n * tau2)) * Math.exp((n * n * tau2 * ybar * ybar) / (2 * sigma2 * (sigma2 + n * tau2)));
    expect(r.lambda).toBeCloseTo(paper, 10);
    expect(r.pValue).toBeCloseTo(Math.min(1, 1 / paper), 12);
  });

  it("crosses 1/α exactly at z² = (1+ν)/ν·(2 ln(1/α) + ln(1+ν)); at ν = 1, α = .05 that is |z| = 3.6564", () => {
    expect(msprtZBoundary(1, 0.05)).toBeCloseTo(Math.sqrt(2 * (2 * Math.log(20) + Math.log(2))), 12);
    expect(msprtZBoundary(1, 0.05)).toBeCloseTo(3.6564, 4);
    // The boundary is far above the fixed-horizon 1.96 everywhere, and lowest for ν of order 10.
    for (const nu of [0.1, 1, 10, 100, 1e4]) expect(msprtZBoundary(nu, 0.05)).toBeGreaterThan(2.9);
    expect(msprtZBoundary(10, 0.05)).toBeLessThan(msprtZBoundary(1, 0.05));
    expect(msprtZBoundary(10, 0.05)).toBeLessThan(msprtZBoundary(1e4, 0.05));
  });

  it("has a confidence sequence that excludes 0 exactly when the always-valid p-value is ≤ α", () => {
    for (let successes = 300; successes <= 420; successes += 5) {
      const r = msprt(binarySummary(300, 1000), binarySummary(successes, 1000), "binary");
      const excludesZero = r.interval.lower > 0 || r.interval.upper < 0;
      expect(excludesZero).toBe(r.pValue <= 0.05);
      expect(Math.abs(r.z) >= r.zBoundary).toBe(r.pValue <= 0.05);
    }
  });

  it("gives the three plain verdicts", () => {
    const flat = { pValue: 0.4, interval: { estimate: 0, lower: -0.01, upper: 0.01 } };
    expect(sequentialVerdict({ pValue: 0.01, interval: { estimate: 0.1, lower: 0.02, upper: 0.2 } }, 0.05, 0.03)).toBe("significant");
    expect(sequentialVerdict(flat, 0.05, 0.03)).toBe("no detectable difference at this sample size");
    expect(sequentialVerdict({ ...flat, interval: { estimate: 0, lower: -0.04, upper: 0.04 } }, 0.05, 0.03)).toBe("keep running");
    expect(sequentialVerdict(flat, 0.05, null)).toBe("keep running");
  });

  it("says there is no detectable difference once 20,000 per arm rule out a 10% lift on a 30% rate", () => {
    const r = compareToControl(binarySummary(6000, 20000), binarySummary(6010, 20000), "binary", { mde: 0.1 });
    expect(r.verdict).toBe("no detectable difference at this sample size");
  });

  it("keeps the running minimum of the always-valid p-value so a verdict does not flip back", () => {
    const r = compareToControl(binarySummary(300, 1000), binarySummary(310, 1000), "binary", { priorMinPValue: 0.01 });
    expect(r.sequential.pValue).toBe(0.01);
    expect(r.verdict).toBe("significant");
  });
});

describe("Bayesian probability of being best", () => {
  it("agrees with numerical integration for two Beta posteriors (SciPy quad: P(B > A) = 0.921426)", () => {
    const r = probabilityBest([binarySummary(40, 100), binarySummary(50, 100)], "binary");
    expect(r.probabilityBest[1]).toBeCloseTo(0.9214262485064179, 2);
    expect(r.probabilityBeatsControl[1]).toBe(r.probabilityBest[1]);
    expect(r.probabilityBest[0]! + r.probabilityBest[1]!).toBeCloseTo(1, 12);
  });

  it("agrees with numerical integration for three arms (SciPy quad: 0.00608, 0.23631, 0.75760)", () => {
    const r = probabilityBest([binarySummary(30, 100), binarySummary(40, 100), binarySummary(45, 100)], "binary");
    expect(r.probabilityBest[0]).toBeCloseTo(0.006084406877503714, 2);
    expect(r.probabilityBest[1]).toBeCloseTo(0.23631416751861567, 2);
    expect(r.probabilityBest[2]).toBeCloseTo(0.7576014256038809, 2);
  });

  it("uses the normal posterior for means: P(B > A) = Φ((5.2 − 5.0)/√(0.1² + 0.08²)) = 0.94083", () => {
    // Means 5.0 and 5.2 with standard errors 0.1 and 0.08 (n = 100, s = 1 and s = 0.8).
    const arm = (m: number, s: number, n: number): MetricSummary => ({ n, sum: m * n, sumSquares: (n - 1) * s * s + n * m * m });
    const r = probabilityBest([arm(5.0, 1, 100), arm(5.2, 0.8, 100)], "continuous");
    expect(r.probabilityBest[1]).toBeCloseTo(0.940825093632186, 2);
  });

  it("is reproducible (fixed seed) and respects lower-is-better metrics", () => {
    const data = [binarySummary(40, 100), binarySummary(50, 100)];
    expect(probabilityBest(data, "binary")).toEqual(probabilityBest(data, "binary"));
    expect(probabilityBest(data, "binary", { higherIsBetter: false }).probabilityBest[0]).toBeGreaterThan(0.9);
  });

  it("never crowns a variant without data", () => {
    const r = probabilityBest([summarize([1, 2, 3]), summarize([])], "continuous");
    expect(r.probabilityBest[0]).toBe(1);
    expect(r.probabilityBest[1]).toBeNaN();
  });
});
