import { describe, expect, it } from "vitest";
import { mcnemarTest, pairedTTest } from "@/lib/experiments/stats";

// Paired tests for evaluation comparisons (issue 20 §3), checked against values computed by hand and by R.

describe("paired tests", () => {
  it("issue 20 §3: McNemar is exact below 25 discordant pairs (two-sided binomial, b = 1, c = 9 → p = 0.02148)", () => {
    // R: binom.test(1, 10, 0.5)$p.value = 0.02148438
    const r = mcnemarTest(1, 9);
    expect(r.exact).toBe(true);
    expect(r.pValue).toBeCloseTo(0.02148438, 7);
    expect(r.statistic).toBeGreaterThan(0);
  });

  it("issue 20 §3: McNemar with no discordant pairs is p = 1, and is symmetric in b and c", () => {
    expect(mcnemarTest(0, 0).pValue).toBe(1);
    expect(mcnemarTest(5, 5).pValue).toBe(1);
    expect(mcnemarTest(3, 12).pValue).toBeCloseTo(mcnemarTest(12, 3).pValue, 12);
    expect(mcnemarTest(3, 12).statistic).toBe(-mcnemarTest(12, 3).statistic);
  });

  it("issue 20 §3: McNemar uses continuity-corrected χ² from 25 discordant pairs (b = 10, c = 25 → p = 0.01796)", () => {
    // R: mcnemar.test(matrix(c(50, 25, 10, 50), 2))$p.value = 0.01796 ((|10−25|−1)² / 35 = 5.6)
    const r = mcnemarTest(10, 25);
    expect(r.exact).toBe(false);
    expect(r.statistic ** 2).toBeCloseTo(5.6, 10);
    expect(r.pValue).toBeCloseTo(0.017960, 5);
  });

  it("issue 20 §3: the paired t-test matches R's t.test(x, y, paired = TRUE)", () => {
    // Differences 1, 2, 3, 4, 5, −1: mean 2.333, sd 2.160, t = 2.6458, df 5, p = 0.04566
    const r = pairedTTest([1, 2, 3, 4, 5, -1]);
    expect(r.df).toBe(5);
    expect(r.meanDifference).toBeCloseTo(2.3333333, 6);
    expect(r.statistic).toBeCloseTo(2.645751, 5);
    expect(r.pValue).toBeCloseTo(0.045659, 5);
  });

  it("issue 20 §3: the paired t-test with identical pairs is p = 1, and with a constant non-zero difference p = 0", () => {
    expect(pairedTTest([0, 0, 0]).pValue).toBe(1);
    expect(pairedTTest([1, 1, 1]).pValue).toBe(0);
    expect(Number.isNaN(pairedTTest([1]).pValue)).toBe(true);
  });
});
