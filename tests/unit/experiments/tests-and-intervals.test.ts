import { describe, expect, it } from "vitest";
import {
  binarySummary,
  compareToControl,
  meanInterval,
  newcombeDifference,
  relativeLiftInterval,
  requiredSampleSize,
  sampleRatioMismatch,
  summarize,
  twoProportionZTest,
  welchDifference,
  welchTTest,
  wilsonInterval,
} from "@/lib/experiments/stats";

describe("two-proportion z-test", () => {
  it("reproduces a published worked example: 140/200 vs 255/340 gives z = −1.266015", () => {
    // homeworksource.com/p/1008622 worked solution (pooled p̂ = 0.7314815, SE = 0.03949401). That solution
    // reads its p-value off a t table; the normal p-value is SciPy's chi2_contingency(correction=False):
    // χ² = 1.60279, p = 0.205508.
    const r = twoProportionZTest(binarySummary(255, 340), binarySummary(140, 200)); // treatment − control = 0.70 − 0.75
    expect(r.statistic).toBeCloseTo(-1.266015, 5);
    expect(r.pValue).toBeCloseTo(0.2055077742744924, 10);
  });

  it("has z² equal to Pearson's χ² on the 2×2 table (closed-form identity)", () => {
    const [a, n1, b, n2] = [48, 80, 56, 70];
    const table = [a, n1 - a, b, n2 - b];
    const rows = [n1, n1, n2, n2];
    const colTotals = [a + b, n1 - a + n2 - b, a + b, n1 - a + n2 - b];
    const N = n1 + n2;
    let chi = 0;
    table.forEach((o, i) => {
      const e = (rows[i]! * colTotals[i]!) / N;
      chi += (o - e) ** 2 / e;
    });
    expect(twoProportionZTest(binarySummary(a, n1), binarySummary(b, n2)).statistic ** 2).toBeCloseTo(chi, 10);
  });

  it("reports p = 1 rather than NaN when both arms are all-zero", () => {
    expect(twoProportionZTest(binarySummary(0, 50), binarySummary(0, 60)).pValue).toBe(1);
  });
});

describe("Welch's t-test", () => {
  it("matches go-moremath's reference for {2,1,3,4} vs {6,5,7,9}: t = 3.9703, ν = 5.5846, p = 0.0085129", () => {
    // Values from aclements/go-moremath stats/ttest_test.go; SciPy ttest_ind(equal_var=False) agrees.
    const r = welchTTest(summarize([2, 1, 3, 4]), summarize([6, 5, 7, 9]));
    expect(r.statistic).toBeCloseTo(3.9703446152237674, 12);
    expect(r.df).toBeCloseTo(5.584615384615385, 12);
    expect(r.pValue).toBeCloseTo(0.0085128631313781695, 12);
  });

  it("gives the matching Welch confidence interval for the difference (SciPy: 1.58278 to 6.91722)", () => {
    const ci = welchDifference(summarize([2, 1, 3, 4]), summarize([6, 5, 7, 9]));
    expect(ci.estimate).toBeCloseTo(4.25, 12);
    expect(ci.lower).toBeCloseTo(1.5827793775259962, 9);
    expect(ci.upper).toBeCloseTo(6.917220622474003, 9);
  });

  it("returns t = 0, p = 1 for identical samples", () => {
    const s = summarize([2, 1, 3, 4]);
    expect(welchTTest(s, s)).toMatchObject({ statistic: 0, pValue: 1, df: 6 });
  });
});

describe("confidence intervals", () => {
  it("reproduces the Wilson intervals of a published table (z = 1.96)", () => {
    // codegolf.stackexchange.com/questions/105389 test cases, computed at z = 1.96.
    const cases: [number, number, number, number][] = [
      [1, 11, 0.016231752262825982, 0.3773646254862038],
      [10, 100, 0.05522854161313612, 0.1743673043676654],
      [25, 100, 0.17545094003724265, 0.3430464637007583],
      [50, 100, 0.40382982859014716, 0.5961701714098528],
      [0, 100, 0, 0.03699480747600191],
    ];
    for (const [k, n, lo, hi] of cases) {
      const ci = wilsonInterval(k, n, 0.95, 1.96);
      expect(ci.lower).toBeCloseTo(lo, 12);
      expect(ci.upper).toBeCloseTo(hi, 12);
    }
  });

  it("reproduces Newcombe (1998) examples: Wilson 81/263 = 0.2553–0.3662, method 10 for 56/70 − 48/80 = 0.0524–0.3339", () => {
    const w = wilsonInterval(81, 263);
    expect(w.lower).toBeCloseTo(0.2553, 4);
    expect(w.upper).toBeCloseTo(0.3662, 4);
    const d = newcombeDifference(binarySummary(48, 80), binarySummary(56, 70));
    expect(d.estimate).toBeCloseTo(0.2, 12);
    expect(d.lower).toBeCloseTo(0.0524, 4);
    expect(d.upper).toBeCloseTo(0.3339, 4);
  });

  it("computes the t interval for a mean (SciPy t.interval: 4.28415 to 5.63014)", () => {
    const ci = meanInterval(summarize([4.2, 5.1, 3.9, 6.0, 5.5, 4.8, 5.2]));
    expect(ci.lower).toBeCloseTo(4.284147527116485, 9);
    expect(ci.upper).toBeCloseTo(5.63013818716923, 9);
  });

  it("computes the delta-method relative lift interval from its closed form", () => {
    // 100/1000 vs 120/1000: lift 0.2, Var ≈ Var(p_t)/p_c² + p_t²Var(p_c)/p_c⁴.
    const c = binarySummary(100, 1000);
    const t = binarySummary(120, 1000);
    const se = Math.sqrt((0.12 * 0.88) / 1000 / 0.01 + (0.0144 * (0.1 * 0.9)) / 1000 / 1e-4);
    const r = relativeLiftInterval(c, t, "binary");
    expect(r.estimate).toBeCloseTo(0.2, 12);
    expect(r.upper - r.estimate).toBeCloseTo(1.959963984540054 * se, 10);
    expect(r.estimate - r.lower).toBeCloseTo(1.959963984540054 * se, 10);
  });

  it("splits α across treatments (Bonferroni), widening each interval", () => {
    const c = binarySummary(100, 1000);
    const t = binarySummary(130, 1000);
    const one = compareToControl(c, t, "binary");
    const three = compareToControl(c, t, "binary", { comparisons: 3 });
    expect(three.alpha).toBeCloseTo(0.05 / 3, 15);
    expect(three.absoluteLift.upper - three.absoluteLift.lower).toBeGreaterThan(one.absoluteLift.upper - one.absoluteLift.lower);
  });
});

describe("sample-ratio mismatch", () => {
  it("reproduces the textbook χ² example: 44 vs 56 against 50/50 gives χ² = 1.44, p = 0.2301", () => {
    // Wikipedia, "Pearson's chi-squared test", fairness example.
    const r = sampleRatioMismatch([44, 56], [1, 1]);
    expect(r.chiSquare).toBeCloseTo(1.44, 12);
    expect(r.pValue).toBeCloseTo(0.2301393404434131, 12);
    expect(r.mismatch).toBe(false);
  });

  it("warns only below p = 0.001 (SciPy chisquare: 5000/5300 p = 0.00312, 5000/5400 p = 8.77e-5)", () => {
    const mild = sampleRatioMismatch([5000, 5300], [50, 50]);
    expect(mild.pValue).toBeCloseTo(0.003116693839866867, 12);
    expect(mild.mismatch).toBe(false);
    const bad = sampleRatioMismatch([5000, 5400], [50, 50]);
    expect(bad.pValue).toBeCloseTo(8.769942375590228e-5, 14);
    expect(bad.mismatch).toBe(true);
  });

  it("uses unequal weights as expected proportions (SciPy: χ² = 1.9, p = 0.38674 on 2 df)", () => {
    const r = sampleRatioMismatch([1030, 480, 490], [50, 25, 25]);
    expect(r.expected).toEqual([1000, 500, 500]);
    expect(r.chiSquare).toBeCloseTo(1.9, 12);
    expect(r.pValue).toBeCloseTo(0.38674102345450123, 12);
  });

  it("flags any assignment to a zero-weight variant", () => {
    expect(sampleRatioMismatch([500, 500, 3], [50, 50, 0]).mismatch).toBe(true);
  });
});

describe("required sample size", () => {
  it("matches R's power.prop.test documentation example: p1 = .50, p2 = .75, power = .90 → n = 76.7 per group", () => {
    expect(requiredSampleSize("binary", { baseline: 0.5, mde: 0.5, power: 0.9 })).toBe(77);
  });

  it("matches the closed form for 50% → 60% at 80% power: n = 387.34 per group", () => {
    // (1.959964·√(2·.55·.45) + 0.841621·√(.25 + .24))² / 0.1² = 387.34
    expect(requiredSampleSize("binary", { baseline: 0.5, mde: 0.2 })).toBe(388);
  });

  it("matches 2σ²(z.975 + z.8)²/δ² for means: a 0.5σ effect needs 62.8 → 63 per group (Lehr's rule of thumb: 16/Δ² = 64)", () => {
    expect(requiredSampleSize("continuous", { baseline: 4, mde: 0.125, standardDeviation: 1 })).toBe(63);
  });

  it("refuses impossible inputs instead of returning a number", () => {
    expect(requiredSampleSize("binary", { baseline: 0.9, mde: 0.2 })).toBeNull();
    expect(requiredSampleSize("binary", { baseline: 0.5, mde: 0 })).toBeNull();
    expect(requiredSampleSize("continuous", { baseline: 3, mde: 0.1 })).toBeNull();
  });
});
