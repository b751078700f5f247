import { describe, expect, it } from "vitest";
import { aggregateRun, compareRuns, type ScoredRow } from "@/lib/evals/analysis";
import { scorerConfig } from "@/lib/evals/schemas";

// Run aggregates and the paired comparison of two runs (issue 20 §3).

const scorers = [scorerConfig.parse({ type: "exact" }), scorerConfig.parse({ type: "judge", prompt: "rubric", model: "m", passAt: 4 })];
const row = (exact: number, judge: number): ScoredRow => ({
  status: "done", latencyMs: 100, cost: 0.001,
  scores: { exact: { score: exact, pass: exact === 1 }, judge: { score: judge, pass: judge >= 4 } },
});

describe("evaluation analysis", () => {
  it("issue 20 §3: aggregates per scorer: a Wilson interval for pass/fail, a t interval for judge scores, errors excluded", () => {
    const rows = [row(1, 5), row(1, 4), row(0, 2), row(1, 3), { status: "failed", scores: {}, latencyMs: null, cost: null } as ScoredRow];
    rows.push({ status: "done", latencyMs: 100, cost: 0.001, scores: { exact: { score: null, pass: null, error: "no expected" }, judge: { score: 4, pass: true } } });
    const a = aggregateRun(scorers, 6, rows);
    expect(a.rows).toEqual({ total: 6, done: 5, failed: 1 });
    const [exact, judge] = a.scorers;
    expect(exact).toMatchObject({ key: "exact", kind: "pass/fail", n: 4, errors: 1 });
    expect(exact!.estimate.estimate).toBeCloseTo(0.75, 10);
    expect(exact!.estimate.lower).toBeGreaterThan(0.2);
    expect(exact!.estimate.upper).toBeLessThanOrEqual(1);
    expect(judge).toMatchObject({ key: "judge", kind: "score", n: 5 });
    expect(judge!.estimate.estimate).toBeCloseTo(3.6, 10);
    expect(judge!.estimate.lower).toBeLessThan(3.6);
    expect(judge!.passRate!.estimate).toBeCloseTo(0.6, 10);
    expect(a.cost.total).toBeCloseTo(0.005, 10);
  });

  it("issue 20 §3: paired comparison counts wins, losses and ties per row, and calls B better when McNemar and the paired t-test say so", () => {
    const A = new Map<number, ScoredRow>();
    const B = new Map<number, ScoredRow>();
    for (let i = 0; i < 20; i++) {
      A.set(i, row(i < 5 ? 1 : 0, 2 + (i % 2)));
      B.set(i, row(i < 18 ? 1 : 0, 4 + (i % 2)));
    }
    const c = compareRuns(scorers, A, scorers, B, { labels: ["v1", "v2"] });
    const exact = c.scorers.find((s) => s.key === "exact")!;
    expect(exact).toMatchObject({ pairs: 20, wins: 13, losses: 0, ties: 7, verdict: "better" });
    expect(exact.test.name).toBe("McNemar (exact)");
    expect(exact.test.pValue).toBeCloseTo(2 * 0.5 ** 13, 12);
    expect(exact.sentence).toMatch(/^v2 is better than v1 on exact pass rate: \+65\.0%/);
    const judge = c.scorers.find((s) => s.key === "judge")!;
    expect(judge).toMatchObject({ wins: 20, losses: 0, ties: 0, verdict: "better" });
    expect(judge.test.name).toBe("paired t-test");
    expect(judge.difference.estimate).toBeCloseTo(2, 10);
    expect(c.alpha).toBeCloseTo(0.025, 10);
    expect(c.summary).toEqual({ wins: 20, losses: 0, ties: 0, mixed: 0, unpaired: 0 });
  });

  it("issue 20 §3: no difference is said in words, and rows only one run scored are unpaired", () => {
    const A = new Map<number, ScoredRow>([[0, row(1, 3)], [1, row(0, 3)], [2, row(1, 4)]]);
    const B = new Map<number, ScoredRow>([[0, row(0, 3)], [1, row(1, 3)], [3, row(1, 5)]]);
    const c = compareRuns(scorers, A, scorers, B);
    const exact = c.scorers.find((s) => s.key === "exact")!;
    expect(exact).toMatchObject({ pairs: 2, wins: 1, losses: 1, ties: 0, verdict: "no significant difference" });
    expect(exact.sentence).toMatch(/^B and A show no significant difference in exact pass rate/);
    expect(c.rows.map((r) => r.outcome)).toEqual(["loss", "win", "unpaired", "unpaired"]);
  });
});
