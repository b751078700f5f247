import "server-only";
import { db } from "@/lib/db";
import { AppError } from "@/lib/core";
import {
  compareToControl, DEFAULT_MIXING_TAU, metricInterval, msprt, probabilityBest, sampleRatioMismatch, sampleVariance,
  type MetricKind, type MetricSummary,
} from "./stats";
import { getExperiment } from "./store";
import { BUILTIN_METRICS, type ChartPoint, type ExperimentResults, type MetricCell, type PhaseView, type PrimaryComparison, type VariantResult } from "./schemas";

// The results page's numbers for one phase. Every figure is computed from
// the phase's exposures (one per completion a variant served) joined to the
// feedback on those completions; nothing crosses a phase boundary.
//
// Unit of analysis: one feedback value per completion. Subjects are the unit
// of randomisation, so a subject with many rated completions adds correlated
// observations; the README states this limitation.

type OpsRow = {
  variantId: string;
  requests: number;
  subjects: number;
  nonSticky: number;
  errors: number;
  p50: number | null;
  p95: number | null;
  ttft50: number | null;
  tokens: number | null;
  cost: number | null;
};

type MetricRow = { variantId: string; name: string; n: number; sum: number; sumSquares: number; binary: boolean };
type SeriesRow = { phaseNumber: number; variantName: string; bucket: Date; n: number; sum: number; sumSquares: number };

const ALPHA = 0.05;

function metricKind(name: string, allBinary: boolean): MetricKind {
  const builtin = (BUILTIN_METRICS as Record<string, MetricKind>)[name];
  return builtin ?? (allBinary ? "binary" : "continuous");
}

const summaryOf = (r: Pick<MetricRow, "n" | "sum" | "sumSquares"> | undefined): MetricSummary =>
  r ? { n: Number(r.n), sum: Number(r.sum), sumSquares: Number(r.sumSquares) } : { n: 0, sum: 0, sumSquares: 0 };

const finiteOrNull = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(Number(x)) ? null : Number(x));

/** Picks a chart bucket so the experiment spans at most ~150 points. */
function bucketSeconds(spanMs: number): number {
  const steps = [5, 15, 60, 300, 900, 3600, 3 * 3600, 6 * 3600, 86400];
  for (const s of steps) if (spanMs / (s * 1000) <= 150) return s;
  return 86400;
}

export async function experimentResults(workspaceId: string, id: string, phaseNumber?: number): Promise<ExperimentResults> {
  const experiment = await getExperiment(workspaceId, id);
  const phase: PhaseView | undefined = phaseNumber ? experiment.phases.find((p) => p.number === phaseNumber) : experiment.phases.at(-1);
  if (!phase) throw new AppError("not_found", `Experiment '${experiment.name}' has no phase ${phaseNumber}`, { param: "phase" });

  const [ops, metrics, allBinaryRow] = await Promise.all([
    db.$queryRaw<OpsRow[]>`
      SELECT "variantId", count(*)::int AS "requests", count(DISTINCT "subject")::int AS "subjects",
        count(*) FILTER (WHERE NOT "sticky")::int AS "nonSticky", count(*) FILTER (WHERE "status" <> 'ok')::int AS "errors",
        percentile_cont(0.5) WITHIN GROUP (ORDER BY "latencyMs") FILTER (WHERE "status" = 'ok') AS "p50",
        percentile_cont(0.95) WITHIN GROUP (ORDER BY "latencyMs") FILTER (WHERE "status" = 'ok') AS "p95",
        percentile_cont(0.5) WITHIN GROUP (ORDER BY "ttftMs") FILTER (WHERE "ttftMs" IS NOT NULL) AS "ttft50",
        avg("inputTokens" + "outputTokens")::float8 AS "tokens", avg("costUsd")::float8 AS "cost"
      FROM "ExperimentExposure" WHERE "phaseId" = ${phase.id}::uuid GROUP BY "variantId"`,
    db.$queryRaw<MetricRow[]>`
      SELECT x."variantId", f."name", count(*)::int AS "n", sum(f."value")::float8 AS "sum", sum(f."value" * f."value")::float8 AS "sumSquares",
        bool_and(f."value" IN (0, 1)) AS "binary"
      FROM "ExperimentExposure" x JOIN "Feedback" f ON f."completionId" = x."completionId"
      WHERE x."phaseId" = ${phase.id}::uuid GROUP BY 1, 2`,
    db.$queryRaw<{ name: string; binary: boolean }[]>`
      SELECT f."name", bool_and(f."value" IN (0, 1)) AS "binary"
      FROM "ExperimentExposure" x JOIN "Feedback" f ON f."completionId" = x."completionId"
      WHERE x."experimentId" = ${experiment.id}::uuid GROUP BY 1`,
  ]);

  // A metric's kind is fixed per experiment (not per phase), so a phase cannot flip a rate into a mean.
  const binaryByName = new Map(allBinaryRow.map((r) => [r.name, r.binary]));
  const metricNames = [...new Set([experiment.primaryMetric, ...allBinaryRow.map((r) => r.name)])].sort((a, b) =>
    a === experiment.primaryMetric ? -1 : b === experiment.primaryMetric ? 1 : a.localeCompare(b),
  );
  const kindOf = (name: string) => metricKind(name, binaryByName.get(name) ?? true);
  const opsBy = new Map(ops.map((o) => [o.variantId, o]));
  const metricBy = new Map(metrics.map((m) => [`${m.variantId}\u0000${m.name}`, m]));

  const variants: VariantResult[] = phase.variants.map((v) => {
    const o = opsBy.get(v.id);
    const requests = o?.requests ?? 0;
    return {
      id: v.id, name: v.name, isControl: v.isControl, weight: v.weight, promptVersion: v.promptVersion,
      requests, uniqueSubjects: o?.subjects ?? 0, nonSticky: o?.nonSticky ?? 0,
      errorRate: requests ? (o?.errors ?? 0) / requests : 0,
      latencyP50: finiteOrNull(o?.p50), latencyP95: finiteOrNull(o?.p95), ttftP50: finiteOrNull(o?.ttft50),
      tokensPerRequest: finiteOrNull(o?.tokens), costPerRequest: finiteOrNull(o?.cost),
      metrics: metricNames.map((name): MetricCell => {
        const s = summaryOf(metricBy.get(`${v.id}\u0000${name}`));
        const kind = kindOf(name);
        return { name, kind, n: s.n, mean: s.n ? s.sum / s.n : NaN, interval: metricInterval(s, kind) };
      }),
    };
  });

  // ---- primary metric against the control
  const primaryKind = kindOf(experiment.primaryMetric);
  const controlIndex = Math.max(0, phase.variants.findIndex((v) => v.isControl));
  const control = phase.variants[controlIndex];
  const summaries = phase.variants.map((v) => summaryOf(metricBy.get(`${v.id}\u0000${experiment.primaryMetric}`)));
  const controlSummary = summaries[controlIndex]!;
  const treatments = phase.variants.map((_, i) => i).filter((i) => i !== controlIndex && phase.variants[i]!.weight > 0);

  // The chart's cumulative checkpoints double as the sequential test's looks: the always-valid
  // p-value may take its running minimum over them.
  const series = await db.$queryRaw<SeriesRow[]>`
    SELECT ph."number" AS "phaseNumber", v."name" AS "variantName",
      to_timestamp(floor(extract(epoch FROM x."createdAt") / ${bucketSeconds(spanOf(experiment))}) * ${bucketSeconds(spanOf(experiment))}) AS "bucket",
      count(*)::int AS "n", sum(f."value")::float8 AS "sum", sum(f."value" * f."value")::float8 AS "sumSquares"
    FROM "ExperimentExposure" x
    JOIN "Feedback" f ON f."completionId" = x."completionId" AND f."name" = ${experiment.primaryMetric}
    JOIN "ExperimentVariant" v ON v."id" = x."variantId"
    JOIN "ExperimentPhase" ph ON ph."id" = x."phaseId"
    WHERE x."experimentId" = ${experiment.id}::uuid
    GROUP BY 1, 2, 3 ORDER BY 3, 1`;

  const chart = buildChart(series, experiment.phases, phase, control?.name ?? null, primaryKind, treatments.length, bucketSeconds(spanOf(experiment)) * 1000);
  const bayes = probabilityBest(summaries, primaryKind, { higherIsBetter: experiment.higherIsBetter });

  const comparisons: PrimaryComparison[] = treatments.map((i) => {
    const v = phase.variants[i]!;
    const cmp = compareToControl(controlSummary, summaries[i]!, primaryKind, {
      alpha: ALPHA,
      comparisons: treatments.length,
      mde: experiment.minDetectableEffect,
      priorMinPValue: chart.minPValue.get(v.name),
    });
    return {
      variant: v.name,
      absoluteLift: cmp.absoluteLift,
      relativeLift: cmp.relativeLift,
      test: cmp.fixedHorizon.test,
      statistic: cmp.fixedHorizon.statistic,
      pValue: cmp.fixedHorizon.pValue,
      alwaysValidPValue: cmp.sequential.pValue,
      confidenceSequence: cmp.sequential.interval,
      verdict: cmp.verdict,
      probabilityBeatsControl: bayes.probabilityBeatsControl[i] ?? NaN,
      alpha: cmp.alpha,
    };
  });

  // ---- sample-ratio mismatch: the randomisation units are sticky subjects and non-sticky requests
  const observed = variants.map((v) => v.uniqueSubjects + v.nonSticky);
  const srm = sampleRatioMismatch(observed, phase.variants.map((v) => v.weight));

  return {
    experiment,
    phase,
    generatedAt: new Date().toISOString(),
    primary: {
      metric: experiment.primaryMetric,
      kind: primaryKind,
      higherIsBetter: experiment.higherIsBetter,
      control: control?.name ?? null,
      comparisons,
      probabilityBest: Object.fromEntries(phase.variants.map((v, i) => [v.name, bayes.probabilityBest[i] ?? NaN])),
      baseline: controlSummary.n
        ? {
            mean: controlSummary.sum / controlSummary.n,
            sd: Math.sqrt(primaryKind === "binary" ? (controlSummary.sum / controlSummary.n) * (1 - controlSummary.sum / controlSummary.n) : sampleVariance(controlSummary) || 0),
            n: controlSummary.n,
          }
        : null,
      mixingTau: DEFAULT_MIXING_TAU,
    },
    srm: { observed, expected: srm.expected, chiSquare: srm.chiSquare, pValue: srm.pValue, mismatch: srm.mismatch },
    variants,
    metricNames,
    chart: { points: chart.points, phaseStarts: chart.phaseStarts, variants: [...new Set(experiment.phases.flatMap((p) => p.variants.map((v) => v.name)))] },
  };
}

function spanOf(e: { startedAt: string | null; createdAt: string; completedAt: string | null }): number {
  const from = Date.parse(e.startedAt ?? e.createdAt);
  const to = e.completedAt ? Date.parse(e.completedAt) : Date.now();
  return Math.max(60_000, to - from);
}

/**
 * Cumulative primary metric per variant, restarting at each phase (phases are never pooled),
 * plus the running minimum of the always-valid p-value over the selected phase's checkpoints.
 */
function buildChart(rows: SeriesRow[], phases: PhaseView[], selected: PhaseView, controlName: string | null, kind: MetricKind, comparisons: number, bucketMs: number) {
  const totals = new Map<string, MetricSummary>();
  const points: ChartPoint[] = [];
  const minPValue = new Map<string, number>();
  const alpha = ALPHA / Math.max(1, comparisons);
  const byBucket = new Map<number, SeriesRow[]>();
  for (const r of rows) {
    const t = new Date(r.bucket).getTime();
    byBucket.set(t, [...(byBucket.get(t) ?? []), r]);
  }
  for (const [t, group] of [...byBucket.entries()].sort((a, b) => a[0] - b[0])) {
    for (const phaseNumber of [...new Set(group.map((r) => r.phaseNumber))].sort((a, b) => a - b)) {
      // Plotted at the bucket's end: the cumulative value is "as of" then (and never before its phase began).
      const point: ChartPoint = { t: new Date(Math.min(t + bucketMs, Date.now())).toISOString(), phase: phaseNumber };
      for (const r of group.filter((g) => g.phaseNumber === phaseNumber)) {
        const key = `${phaseNumber}\u0000${r.variantName}`;
        const s = totals.get(key) ?? { n: 0, sum: 0, sumSquares: 0 };
        s.n += Number(r.n);
        s.sum += Number(r.sum);
        s.sumSquares += Number(r.sumSquares);
        totals.set(key, s);
      }
      for (const [key, s] of totals) {
        const [p, name] = key.split("\u0000") as [string, string];
        if (Number(p) === phaseNumber && s.n > 0) point[name] = s.sum / s.n;
      }
      points.push(point);
      if (phaseNumber === selected.number && controlName) {
        const c = totals.get(`${phaseNumber}\u0000${controlName}`);
        for (const v of selected.variants) {
          if (v.name === controlName || !c) continue;
          const s = totals.get(`${phaseNumber}\u0000${v.name}`);
          if (!s) continue;
          const p = msprt(c, s, kind, { alpha }).pValue;
          minPValue.set(v.name, Math.min(minPValue.get(v.name) ?? 1, p));
        }
      }
    }
  }
  const phaseStarts = phases.filter((p) => p.startedAt).map((p) => ({ t: p.startedAt!, number: p.number }));
  return { points, phaseStarts, minPValue };
}
