import "server-only";
import { mcnemarTest, meanInterval, pairedTTest, summarize, wilsonInterval, type Interval } from "@/lib/experiments/schemas";
import { isBinaryScorer, scorerNames, type ScorerConfig } from "./schemas";
import type { Score } from "./scorers";

// Aggregates of one run and the paired comparison of two runs on the same dataset version. Pure
// functions of the rows' scores; the tests and intervals are lib/experiments' statistics. Every scorer
// is higher-is-better.

export type ScoredRow = { status: string; scores: Record<string, Score>; latencyMs: number | null; cost: number | null };

export type ScorerAggregate = {
  key: string; type: ScorerConfig["type"]; kind: "pass/fail" | "score";
  /** Rows the scorer could judge (errors and failed rows excluded). */
  n: number; errors: number;
  /** Pass rate (Wilson) for pass/fail scorers; mean score (t interval) for the judge. */
  estimate: Interval;
  /** The judge's pass rate at its passAt, when it has one. */
  passRate: Interval | null;
};

export type RunAggregates = {
  rows: { total: number; done: number; failed: number };
  scorers: ScorerAggregate[];
  latencyMs: { mean: number | null; p95: number | null };
  cost: { total: number; perRow: number | null };
};

const scored = (s: Score | undefined): s is Score & { score: number } => !!s && typeof s.score === "number" && Number.isFinite(s.score);

export function aggregateRun(scorers: readonly ScorerConfig[], total: number, rows: Iterable<ScoredRow>): RunAggregates {
  const list = [...rows];
  const keys = scorerNames(scorers);
  const done = list.filter((r) => r.status === "done");
  const out: ScorerAggregate[] = scorers.map((s, i) => {
    const key = keys[i]!;
    const vals = done.map((r) => r.scores[key]).filter(scored);
    const errors = done.length - vals.length;
    if (isBinaryScorer(s)) {
      const passes = vals.filter((v) => v.score >= 1).length;
      return { key, type: s.type, kind: "pass/fail", n: vals.length, errors, estimate: wilsonInterval(passes, vals.length), passRate: null };
    }
    const withPass = vals.filter((v) => v.pass !== null && v.pass !== undefined);
    return {
      key, type: s.type, kind: "score", n: vals.length, errors,
      estimate: meanInterval(summarize(vals.map((v) => v.score))),
      passRate: withPass.length ? wilsonInterval(withPass.filter((v) => v.pass).length, withPass.length) : null,
    };
  });
  const lat = done.map((r) => r.latencyMs).filter((x): x is number => x !== null).sort((a, b) => a - b);
  const cost = list.reduce((a, r) => a + (r.cost ?? 0), 0);
  return {
    rows: { total, done: done.length, failed: list.filter((r) => r.status === "failed").length },
    scorers: out,
    latencyMs: { mean: lat.length ? Math.round(lat.reduce((a, b) => a + b, 0) / lat.length) : null, p95: lat.length ? lat[Math.min(lat.length - 1, Math.ceil(lat.length * 0.95) - 1)]! : null },
    cost: { total: Math.round(cost * 1e8) / 1e8, perRow: done.length ? Math.round((cost / done.length) * 1e8) / 1e8 : null },
  };
}

export type PairedScorer = {
  key: string; kind: "pass/fail" | "score";
  /** Rows both runs scored. */
  pairs: number;
  /** From B's side (the candidate): rows where B scored higher, lower, the same as A. */
  wins: number; losses: number; ties: number;
  test: { name: "McNemar (exact)" | "McNemar (χ², continuity-corrected)" | "paired t-test"; statistic: number; pValue: number; df: number };
  /** B − A: the difference in pass rates, or the mean paired difference in score with its t interval. */
  difference: Interval;
  verdict: "better" | "worse" | "no significant difference" | "not enough data";
  sentence: string;
};

export type RowOutcome = { index: number; a: Record<string, number | null>; b: Record<string, number | null>; outcome: "win" | "loss" | "tie" | "mixed" | "unpaired" };

export type PairedComparison = { alpha: number; scorers: PairedScorer[]; rows: RowOutcome[]; summary: { wins: number; losses: number; ties: number; mixed: number; unpaired: number } };

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const pText = (p: number) => (p < 0.001 ? "p < 0.001" : `p = ${p.toFixed(3)}`);

/**
 * A (the baseline) against B (the candidate), row by row, on the scorers both runs have under the same
 * key and type. α is split among those scorers (Bonferroni), as the experiment page splits it among arms.
 */
export function compareRuns(
  scorersA: readonly ScorerConfig[], rowsA: Map<number, ScoredRow>, scorersB: readonly ScorerConfig[], rowsB: Map<number, ScoredRow>, opts: { alpha?: number; labels?: [string, string] } = {},
): PairedComparison {
  const keysA = scorerNames(scorersA);
  const keysB = scorerNames(scorersB);
  const shared = keysA
    .map((k, i) => ({ key: k, s: scorersA[i]! }))
    .filter(({ key, s }) => {
      const j = keysB.indexOf(key);
      return j >= 0 && scorersB[j]!.type === s.type;
    });
  const alpha = (opts.alpha ?? 0.05) / Math.max(1, shared.length);
  const [la, lb] = opts.labels ?? ["A", "B"];
  const indices = [...new Set([...rowsA.keys(), ...rowsB.keys()])].sort((x, y) => x - y);

  const scorers: PairedScorer[] = shared.map(({ key, s }) => {
    const binary = isBinaryScorer(s);
    const pairs: [number, number][] = [];
    for (const i of indices) {
      const a = rowsA.get(i);
      const b = rowsB.get(i);
      if (a?.status !== "done" || b?.status !== "done") continue;
      const sa = a.scores[key];
      const sb = b.scores[key];
      if (scored(sa) && scored(sb)) pairs.push([sa.score, sb.score]);
    }
    const wins = pairs.filter(([a, b]) => b > a).length;
    const losses = pairs.filter(([a, b]) => b < a).length;
    const ties = pairs.length - wins - losses;
    const what = binary ? `${key} pass rate` : `mean ${key} score`;
    if (pairs.length < 2) {
      return {
        key, kind: binary ? "pass/fail" : "score", pairs: pairs.length, wins, losses, ties,
        test: { name: binary ? "McNemar (exact)" : "paired t-test", statistic: NaN, pValue: NaN, df: NaN },
        difference: { estimate: NaN, lower: NaN, upper: NaN }, verdict: "not enough data",
        sentence: `Not enough rows scored by both runs to compare the ${what}.`,
      };
    }
    let test: PairedScorer["test"];
    let difference: Interval;
    if (binary) {
      const m = mcnemarTest(losses, wins);
      test = { name: m.exact ? "McNemar (exact)" : "McNemar (χ², continuity-corrected)", statistic: m.statistic, pValue: m.pValue, df: m.df };
      const n = pairs.length;
      const pa = pairs.filter(([a]) => a >= 1).length / n;
      const pb = pairs.filter(([, b]) => b >= 1).length / n;
      // The paired difference's interval (Wald on the discordant proportions), for reading, not for the verdict.
      const d = pb - pa;
      const se = Math.sqrt(Math.max(0, (wins + losses) / n - d * d) / n);
      difference = { estimate: d, lower: d - 1.96 * se, upper: d + 1.96 * se };
    } else {
      const diffs = pairs.map(([a, b]) => b - a);
      const t = pairedTTest(diffs);
      test = { name: "paired t-test", statistic: t.statistic, pValue: t.pValue, df: t.df };
      difference = meanInterval(summarize(diffs), 1 - alpha);
    }
    const significant = Number.isFinite(test.pValue) && test.pValue < alpha;
    const direction = binary ? wins - losses : difference.estimate;
    const verdict: PairedScorer["verdict"] = !significant || direction === 0 ? "no significant difference" : direction > 0 ? "better" : "worse";
    const change = binary ? `${difference.estimate >= 0 ? "+" : ""}${pct(difference.estimate)}` : `${difference.estimate >= 0 ? "+" : ""}${difference.estimate.toFixed(2)}`;
    const counts = `${wins} wins, ${losses} losses, ${ties} ties over ${pairs.length} rows`;
    const sentence =
      verdict === "no significant difference"
        ? `${lb} and ${la} show no significant difference in ${what} (${change}; ${counts}; ${test.name}, ${pText(test.pValue)}, α = ${alpha.toFixed(3)}).`
        : `${lb} is ${verdict} than ${la} on ${what}: ${change} (${counts}; ${test.name}, ${pText(test.pValue)}, α = ${alpha.toFixed(3)}).`;
    return { key, kind: binary ? "pass/fail" : "score", pairs: pairs.length, wins, losses, ties, test, difference, verdict, sentence };
  });

  const rows: RowOutcome[] = indices.map((i) => {
    const a = rowsA.get(i);
    const b = rowsB.get(i);
    const pick = (r: ScoredRow | undefined) => Object.fromEntries(shared.map(({ key }) => [key, scored(r?.scores[key]) ? r!.scores[key]!.score : null]));
    const sa = pick(a);
    const sb = pick(b);
    let up = 0;
    let down = 0;
    let paired = 0;
    for (const { key } of shared) {
      const x = sa[key];
      const y = sb[key];
      if (x === null || y === null || x === undefined || y === undefined) continue;
      paired++;
      if (y > x) up++;
      else if (y < x) down++;
    }
    const outcome: RowOutcome["outcome"] = paired === 0 ? "unpaired" : up && down ? "mixed" : up ? "win" : down ? "loss" : "tie";
    return { index: i, a: sa, b: sb, outcome };
  });
  const count = (o: RowOutcome["outcome"]) => rows.filter((r) => r.outcome === o).length;
  return { alpha, scorers, rows, summary: { wins: count("win"), losses: count("loss"), ties: count("tie"), mixed: count("mixed"), unpaired: count("unpaired") } };
}
