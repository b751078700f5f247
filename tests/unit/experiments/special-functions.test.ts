import { describe, expect, it } from "vitest";
import {
  chiSquareCdf,
  chiSquareSf,
  lnGamma,
  normalCdf,
  normalQuantile,
  normalSf,
  regularizedBeta,
  regularizedGammaP,
  studentTCdf,
  studentTQuantile,
  studentTTwoSidedP,
} from "@/lib/experiments/stats";

// Reference values and where they come from:
// - closed forms (Γ of integers, I_x(a,1) = x^a, Cauchy and t₂ CDFs, χ²₂ CDF = 1 − e^(−x/2));
// - the MATLAB betainc documentation table (I_0.5(a, 3)), as reproduced in aclements/go-moremath stats/tdist_test.go;
// - printed statistical tables (normal and t critical values, χ² critical values);
// - SciPy 1.17.1 (scipy.stats / scipy.special), computed when this test was written, marked "SciPy".

describe("gamma and beta functions", () => {
  it("matches ln Γ at integers and at ½ (Γ(½) = √π)", () => {
    expect(lnGamma(1)).toBeCloseTo(0, 13);
    expect(lnGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(lnGamma(11)).toBeCloseTo(Math.log(3628800), 11);
    expect(lnGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
  });

  it("matches the MATLAB betainc table I_0.5(a, 3)", () => {
    const table: Record<number, number> = { 1: 0.875, 2: 0.6875, 3: 0.5, 4: 0.34375, 5: 0.2265625, 6: 0.14453125, 7: 0.08984375, 8: 0.0546875, 9: 0.03271484375, 10: 0.019287109375 };
    for (const [a, want] of Object.entries(table)) expect(regularizedBeta(0.5, Number(a), 3)).toBeCloseTo(want, 12);
  });

  it("matches the closed forms I_x(a,1) = x^a and I_x(1,b) = 1 − (1−x)^b", () => {
    for (const x of [0.01, 0.3, 0.77, 0.999]) {
      expect(regularizedBeta(x, 3.7, 1)).toBeCloseTo(x ** 3.7, 12);
      expect(regularizedBeta(x, 1, 12.5)).toBeCloseTo(1 - (1 - x) ** 12.5, 12);
    }
  });

  it("matches SciPy betainc(2.5, 7.5, 0.3) and gamma.cdf(3.5, 2.5)", () => {
    expect(regularizedBeta(0.3, 2.5, 7.5)).toBeCloseTo(0.6789434858661821, 12);
    expect(regularizedGammaP(2.5, 3.5)).toBeCloseTo(0.7793596920632894, 12);
  });
});

describe("normal distribution", () => {
  it("matches printed Φ values", () => {
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021048517795, 14);
    expect(normalCdf(-1)).toBeCloseTo(0.15865525393145707, 14);
    expect(normalCdf(0)).toBe(0.5);
  });

  it("keeps relative precision in the far tail (SciPy norm.sf(8) = 6.22096057427174e-16)", () => {
    expect(normalSf(8) / 6.22096057427174e-16).toBeCloseTo(1, 10);
  });

  it("inverts Φ to table precision, including the tails", () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 13);
    expect(normalQuantile(0.8)).toBeCloseTo(0.8416212335729143, 13);
    expect(normalQuantile(0.9)).toBeCloseTo(1.2815515655446004, 13);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.3613409, 6); // SciPy norm.ppf(1e-10)
    expect(normalQuantile(0.9999999)).toBeCloseTo(5.19933758, 7); // SciPy norm.ppf(0.9999999)
    for (const p of [0.001, 0.02, 0.3, 0.5, 0.7, 0.99, 0.9995]) expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 14);
  });
});

describe("Student t distribution (through the regularized incomplete beta)", () => {
  it("matches the Cauchy closed form at ν = 1 and the t₂ closed form at ν = 2", () => {
    for (const t of [-10, -2, -0.3, 0, 0.5, 3, 40]) {
      expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 13);
      expect(studentTCdf(t, 2)).toBeCloseTo(0.5 + t / (2 * Math.sqrt(2 + t * t)), 13);
    }
  });

  it("matches tabulated CDF values at ν = 5 (go-moremath tdist_test.go)", () => {
    expect(studentTCdf(-3, 5)).toBeCloseTo(0.015049623948731284, 13);
    expect(studentTCdf(2, 5)).toBeCloseTo(0.9490302605850709, 13);
    expect(studentTCdf(-1, 5)).toBeCloseTo(0.18160873382456127, 13);
  });

  it("handles fractional degrees of freedom as Welch's test needs (SciPy)", () => {
    expect(studentTCdf(1.5, 7.3)).toBeCloseTo(0.912218453598457, 12);
    expect(studentTCdf(-2.2, 27.4)).toBeCloseTo(0.018207733292879703, 12);
    expect(studentTTwoSidedP(2.2, 27.4)).toBeCloseTo(2 * 0.018207733292879703, 12);
  });

  it("reproduces t-table critical values", () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706204736174694, 9);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228138851986274, 11);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.0422724563012373, 11);
    expect(studentTQuantile(0.995, 5)).toBeCloseTo(4.032142983557536, 10);
    // NIST/SEMATECH e-Handbook §1.3.5.3 (two-sample t-test, unequal variances) quotes t(0.975, 136.875) = 1.977.
    expect(studentTQuantile(0.975, 136.875)).toBeCloseTo(1.977447303404306, 10);
    expect(studentTQuantile(0.025, 10)).toBeCloseTo(-2.228138851986274, 11);
  });
});

describe("chi-square distribution (through the regularized gamma)", () => {
  it("matches χ² critical values from printed tables", () => {
    expect(chiSquareSf(3.841458820694124, 1)).toBeCloseTo(0.05, 13);
    expect(chiSquareSf(5.991464547107979, 2)).toBeCloseTo(0.05, 13);
    expect(chiSquareSf(10.827566170662733, 1)).toBeCloseTo(0.001, 13);
    expect(chiSquareSf(18.307, 10)).toBeCloseTo(0.05000058909139812, 12); // SciPy chi2.sf(18.307, 10)
  });

  it("matches the closed forms for 1 and 2 degrees of freedom", () => {
    for (const x of [0.1, 1, 4, 9, 20]) {
      expect(chiSquareCdf(x, 2)).toBeCloseTo(1 - Math.exp(-x / 2), 13);
      expect(chiSquareSf(x, 1)).toBeCloseTo(2 * normalSf(Math.sqrt(x)), 13);
    }
  });
});
