"use client";
import { useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { formatDateTime } from "@/components/ui/format";
import type { ExperimentResults } from "@/lib/experiments/schemas";
import { ComparisonTable } from "./comparison-table";
import { CumulativeChart } from "./cumulative-chart";
import { FeedbackForm } from "./feedback-form";
import { pValue } from "./format";
import { LifecycleControls } from "./lifecycle-controls";
import { SampleSizeCalculator } from "./sample-size-calculator";
import { StatusBadge } from "./status-badge";
import { useExperimentResults } from "./use-experiment-results";
import { VariantsTable } from "./variants-table";
import { Verdict } from "./verdict";

export function ResultsView({ initial, canEdit }: { initial: ExperimentResults; canEdit: boolean }) {
  const [phase, setPhase] = useState<number | null>(null);
  const live = initial.experiment.status === "running";
  const query = useExperimentResults(initial.experiment.id, phase, initial, live);
  const results = query.data ?? initial;
  const { experiment, primary, variants } = results;
  const kind = primary.kind;
  const leader = Object.entries(primary.probabilityBest).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))[0]?.[0] ?? null;
  const controlRow = variants.find((v) => v.isControl);

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div>
          <div className="flex flex-wrap items-center gap-2">
            <h1 className="text-2xl font-semibold tracking-tight">{experiment.name}</h1>
            <StatusBadge status={experiment.status} />
            {experiment.demo && <Badge tone="blue">demo data</Badge>}
          </div>
          <p className="mt-1 text-sm text-slate-700 dark:text-slate-300">
            Prompt <code className="font-mono">{experiment.promptName}</code>, label <code className="font-mono">{experiment.label}</code> · primary metric{" "}
            <strong>{experiment.primaryMetric}</strong> ({kind === "binary" ? "rate" : "mean"}, {experiment.higherIsBetter ? "higher" : "lower"} is better) · created by {experiment.createdByEmail ?? "—"}
            {experiment.winnerVariantName && (
              <>
                {" "}· winner <strong>{experiment.winnerVariantName}</strong>
              </>
            )}
          </p>
          {experiment.hypothesis && <p className="mt-1 max-w-prose text-sm italic text-slate-700 dark:text-slate-300">{experiment.hypothesis}</p>}
        </div>
        <p className="text-xs text-slate-600 dark:text-slate-400" aria-live="polite">
          {live ? `Live · updated ${formatDateTime(results.generatedAt).slice(11)}` : `As of ${formatDateTime(results.generatedAt)}`}
          {query.isError && <span role="alert"> · refresh failed: {(query.error as Error).message}</span>}
        </p>
      </div>

      {canEdit && <LifecycleControls experiment={experiment} suggestedWinner={leader} />}

      {experiment.phases.length > 1 && (
        <nav aria-label="Phases" className="flex flex-wrap gap-2">
          {experiment.phases.map((p) => {
            const current = p.number === results.phase.number;
            return (
              <button
                key={p.number}
                type="button"
                aria-pressed={current}
                onClick={() => setPhase(p.number === experiment.phases.at(-1)!.number ? null : p.number)}
                className={`rounded-md border px-3 py-1.5 text-sm ${current ? "border-indigo-600 bg-indigo-50 font-semibold text-indigo-900 dark:bg-indigo-950 dark:text-indigo-100" : "border-slate-300 bg-white text-slate-800 hover:bg-slate-100 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100"}`}
              >
                Phase {p.number} · {p.reason === "launch" ? "launch" : `${p.reason} changed`} · {p.variants.map((v) => `${v.name} ${v.weight}`).join(" / ")}
              </button>
            );
          })}
        </nav>
      )}
      <p className="text-xs text-slate-600 dark:text-slate-400">
        Phase {results.phase.number}: {results.phase.startedAt ? `${formatDateTime(results.phase.startedAt)} to ${results.phase.endedAt ? formatDateTime(results.phase.endedAt) : "now"}` : "not started"}. Every number below is for this
        phase alone.
      </p>

      {results.srm.mismatch && (
        <div role="alert" className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900 dark:border-red-700 dark:bg-red-950 dark:text-red-100">
          <strong>Sample ratio mismatch.</strong> Assignments ({results.srm.observed.join(" / ")}) do not match the weights (expected {results.srm.expected.map((e) => Math.round(e)).join(" / ")}; χ² ={" "}
          {results.srm.chiSquare.toFixed(1)}, p = {pValue(results.srm.pValue)}). Something other than chance is steering traffic: the comparison below cannot be trusted until the cause is found.
        </div>
      )}

      <Verdict results={results} />

      <ComparisonTable results={results} />

      <CumulativeChart results={results} />

      <VariantsTable results={results} />

      <Card title="Sample size">
        <SampleSizeCalculator
          kind={kind}
          baseline={primary.baseline?.mean ?? null}
          sd={primary.baseline?.sd ?? null}
          defaultMde={experiment.minDetectableEffect}
          perVariantSoFar={controlRow?.metrics.find((m) => m.name === primary.metric)?.n ?? 0}
          variants={variants.length}
        />
      </Card>

      {canEdit && (
        <Card title="Record feedback by hand">
          <FeedbackForm experimentId={experiment.id} defaultMetric={primary.metric} />
        </Card>
      )}
    </div>
  );
}
