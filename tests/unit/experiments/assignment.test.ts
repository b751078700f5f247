import { describe, expect, it } from "vitest";
import { assign, bucketOf, pickByWeight } from "@/lib/experiments/assignment";
import { sampleRatioMismatch } from "@/lib/experiments/stats";

describe("sticky assignment", () => {
  it("gives a subject the same bucket every time within a phase", () => {
    for (const subject of ["alice", "bob", "user-12345", "ü-ñ"]) {
      const first = bucketOf("exp-1", 1, subject);
      for (let i = 0; i < 5; i++) expect(bucketOf("exp-1", 1, subject)).toBe(first);
      expect(first).toBeGreaterThanOrEqual(0);
      expect(first).toBeLessThan(1);
    }
  });

  it("re-randomises across phases and experiments (buckets are uncorrelated)", () => {
    const n = 20_000;
    let same = 0;
    let sameExp = 0;
    for (let i = 0; i < n; i++) {
      const s = `s${i}`;
      if (bucketOf("exp-1", 1, s) < 0.5 === bucketOf("exp-1", 2, s) < 0.5) same++;
      if (bucketOf("exp-1", 1, s) < 0.5 === bucketOf("exp-2", 1, s) < 0.5) sameExp++;
    }
    // Independent halves agree about 50% of the time; 3 SE = 1.1 points at n = 20,000.
    expect(Math.abs(same / n - 0.5)).toBeLessThan(0.011);
    expect(Math.abs(sameExp / n - 0.5)).toBeLessThan(0.011);
  });

  it("splits 100,000 subjects in proportion to the weights (no sample-ratio mismatch)", () => {
    const weights = [50, 30, 20];
    const counts = [0, 0, 0];
    for (let i = 0; i < 100_000; i++) counts[assign("exp-w", 1, `subject-${i}`, weights).index]! += 1;
    const srm = sampleRatioMismatch(counts, weights);
    expect(srm.pValue).toBeGreaterThan(0.001);
    expect(counts[0]! / 100_000).toBeCloseTo(0.5, 1);
  });

  it("never picks a zero-weight variant and maps the bucket edges correctly", () => {
    expect(pickByWeight([1, 0, 1], 0)).toBe(0);
    expect(pickByWeight([1, 0, 1], 0.4999)).toBe(0);
    expect(pickByWeight([1, 0, 1], 0.5)).toBe(2);
    expect(pickByWeight([1, 0, 1], 0.999999)).toBe(2);
    expect(pickByWeight([0, 5], 0)).toBe(1);
    expect(() => pickByWeight([0, 0], 0.3)).toThrow();
  });

  it("draws a fresh random variant per request without a subject, flagged non-sticky", () => {
    const picks = Array.from({ length: 400 }, () => assign("exp-r", 1, null, [1, 1]));
    expect(picks.every((p) => !p.sticky)).toBe(true);
    const a = picks.filter((p) => p.index === 0).length;
    expect(a).toBeGreaterThan(140);
    expect(a).toBeLessThan(260);
  });
});
