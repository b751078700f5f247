"use client";
import { useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { formatDateTime } from "@/components/ui/format";
import { Table, Td, Th } from "@/components/ui/table";
import type { ExperimentResults, PrimaryComparison, Verdict } from "@/lib/experiments/schemas";
import { CumulativeChart } from "./cumulative-chart";
import { FeedbackForm } from "./feedback-form";
import { count, interval, isNum, metricValue, ms, pct, pts, pValue, signed, signedPct, usd } from "./format";
import { LifecycleControls } from "./lifecycle-controls";
import { SampleSizeCalculator } from "./sample-size-calculator";
import { StatusBadge } from "./status-badge";
import { useExperimentResults } from "./use-experiment-results";

const verdictTone: Record<Verdict, "green" | "amber" | "gray"> = {
  significant: "green",
  "keep running": "amber",
  "no detectable difference at this sample size": "gray",
};

function VerdictSentence({ c, results }: { c: PrimaryComparison; results: ExperimentResults }) {
  const control = results.primary.control ?? "control";
  const better = results.primary.higherIsBetter ? c.absoluteLift.estimate > 0 : c.absoluteLift.estimate < 0;
  if (c.verdict === "significant") {
    return (
      <>
        <strong>{c.variant}</strong> is {better ? "better" : "worse"} than {control}: {signedPct(c.relativeLift.estimate)} ({interval(c.relativeLift.lower, c.relativeLift.upper, "lift")}). The always-valid test crossed its boundary, so
        this holds however often the page was checked.
      </>
    );
  }
  if (c.verdict === "no detectable difference at this sample size") {
    return (
      <>
        <strong>{c.variant}</strong> and {control} differ by less than the minimum detectable effect ({pct(results.experiment.minDetectableEffect, 0)} relative): the always-valid interval already
        rules out a bigger change either way.
      </>
    );
  }
  return (
    <>
      Not enough evidence yet for <strong>{c.variant}</strong> against {control} ({signedPct(c.relativeLift.estimate)} so far). Keep running: peeking is safe, stopping now would be a guess.
    </>
  );
}

export function ResultsView({ initial, canEdit }: { initial: ExperimentResults; canEdit: boolean }) {
  const [phase, setPhase] = useState<number | null>(null);
  const live = initial.experiment.status === "running";
  const query = useExperimentResults(initial.experiment.id, phase, initial, live);
  const results = query.data ?? initial;
  const { experiment, primary, variants } = results;
  const kind = primary.kind;
  const byVariant = new Map(primary.comparisons.map((c) => [c.variant, c]));
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

      <section aria-labelledby="verdict-title" className="space-y-3">
        <h2 id="verdict-title" className="text-lg font-semibold">
          Verdict on {primary.metric}
        </h2>
        {experiment.status === "draft" && (
          <p className="text-sm" data-testid="verdict-not-started">
            Not started: there is no verdict before the experiment runs and its variants collect feedback. Start it above.
          </p>
        )}
        {experiment.status !== "draft" && primary.comparisons.length === 0 && <p className="text-sm">No treatment variant has traffic weight in this phase.</p>}
        {experiment.status !== "draft" && primary.comparisons.map((c) => (
          <div key={c.variant} data-testid={`verdict-${c.variant}`} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <div className="flex flex-wrap items-center gap-2">
              <Badge tone={verdictTone[c.verdict]}>{c.verdict}</Badge>
              <span className="text-sm text-slate-700 dark:text-slate-300">
                {c.variant} vs {primary.control} · P({c.variant} beats {primary.control}) = {pct(c.probabilityBeatsControl)}
              </span>
            </div>
            <p className="mt-2 text-sm">
              <VerdictSentence c={c} results={results} />
            </p>
          </div>
        ))}
      </section>

      <Table caption={`Primary metric: ${primary.metric}`}>
        <thead className="bg-slate-50 dark:bg-slate-800/50">
          <tr>
            <Th>Variant</Th>
            <Th className="text-right">Rated</Th>
            <Th>{kind === "binary" ? "Rate" : "Mean"} (95% CI)</Th>
            <Th>Absolute lift (CI)</Th>
            <Th>Relative lift (CI)</Th>
            <Th>p-value</Th>
            <Th>Always-valid p</Th>
            <Th>P(best)</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {variants.map((v) => {
            const m = v.metrics.find((x) => x.name === primary.metric)!;
            const c = byVariant.get(v.name);
            return (
              <tr key={v.name} data-testid={`primary-row-${v.name}`}>
                <Td className="font-medium">
                  {v.name} <span className="text-xs text-slate-600 dark:text-slate-400">v{v.promptVersion}</span> {v.isControl && <Badge>control</Badge>}
                </Td>
                <Td className="text-right tabular-nums">{count(m.n)}</Td>
                <Td className="tabular-nums">
                  <strong data-testid={`primary-mean-${v.name}`}>{metricValue(m.mean, kind)}</strong>
                  <span className="block text-xs text-slate-600 dark:text-slate-400">{interval(m.interval.lower, m.interval.upper, kind)}</span>
                </Td>
                <Td className="tabular-nums">
                  {c ? (
                    <>
                      {kind === "binary" ? pts(c.absoluteLift.estimate) : signed(c.absoluteLift.estimate)}
                      <span className="block text-xs text-slate-600 dark:text-slate-400">{interval(c.absoluteLift.lower, c.absoluteLift.upper, kind === "binary" ? "pts" : "diff")}</span>
                    </>
                  ) : (
                    "—"
                  )}
                </Td>
                <Td className="tabular-nums">
                  {c ? (
                    <>
                      {signedPct(c.relativeLift.estimate)}
                      <span className="block text-xs text-slate-600 dark:text-slate-400">{interval(c.relativeLift.lower, c.relativeLift.upper, "lift")}</span>
                    </>
                  ) : (
                    "—"
                  )}
                </Td>
                <Td className="tabular-nums">{c ? <span title={c.test}>{pValue(c.pValue)}</span> : "—"}</Td>
                <Td className="tabular-nums">{c ? pValue(c.alwaysValidPValue) : "—"}</Td>
                <Td className="tabular-nums">
                  <span data-testid={`pbest-${v.name}`}>{pct(primary.probabilityBest[v.name])}</span>
                </Td>
              </tr>
            );
          })}
        </tbody>
      </Table>
      <details className="text-xs text-slate-700 dark:text-slate-300">
        <summary className="cursor-pointer font-medium">How to read these numbers</summary>
        <ul className="mt-2 list-disc space-y-1 pl-5">
          <li>
            <strong>p-value</strong> is the fixed-horizon {kind === "binary" ? "two-proportion z-test" : "Welch's t-test"}: valid only if read once, at a sample size chosen in advance. Checking it
            repeatedly and stopping when it dips below 0.05 inflates false positives (in our simulation of 20 looks, to about 24%).
          </li>
          <li>
            <strong>Always-valid p</strong> and the verdict come from a mixture sequential probability ratio test (mSPRT, normal mixture with τ = {primary.mixingTau} standard deviations): its
            false-positive rate stays at α however often anyone looks. The verdict is “significant” when it falls to α, and “no detectable difference” once its always-valid interval excludes
            the minimum detectable effect in both directions.
          </li>
          <li>
            Intervals: Wilson for rates, t for means, Newcombe for differences of rates, Welch for differences of means, and the delta method for relative lift.
            {primary.comparisons.length > 1 && ` With ${primary.comparisons.length} treatments, α is split among them (Bonferroni): each comparison is judged at ${pct(primary.comparisons[0]!.alpha, 2)}.`}
          </li>
          <li>
            <strong>P(best)</strong>: the posterior probability that each variant has the best true {primary.metric} ({kind === "binary" ? "Beta(1,1) prior, Beta-Binomial" : "normal posterior"}; 20,000
            Monte Carlo draws with a fixed seed).
          </li>
          <li>Each rated completion counts once; a subject who rates many completions weighs more than one who rates few.</li>
        </ul>
      </details>

      <CumulativeChart results={results} />

      <Table caption="Variants: traffic, latency, cost and every feedback metric">
        <thead className="bg-slate-50 dark:bg-slate-800/50">
          <tr>
            <Th>Variant</Th>
            <Th className="text-right">Weight</Th>
            <Th className="text-right">Requests</Th>
            <Th className="text-right">Unique subjects</Th>
            <Th className="text-right">Non-sticky</Th>
            <Th className="text-right">Error rate</Th>
            <Th className="text-right">Latency p50 / p95</Th>
            <Th className="text-right">TTFT p50</Th>
            <Th className="text-right">Tokens / request</Th>
            <Th className="text-right">Cost / request</Th>
            {results.metricNames.map((n) => (
              <Th key={n}>{n} (95% CI)</Th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {variants.map((v) => (
            <tr key={v.name} data-testid={`variant-ops-${v.name}`}>
              <Td className="font-medium">{v.name}</Td>
              <Td className="text-right tabular-nums">{v.weight}</Td>
              <Td className="text-right tabular-nums">
                <span data-testid={`requests-${v.name}`}>{count(v.requests)}</span>
              </Td>
              <Td className="text-right tabular-nums">{count(v.uniqueSubjects)}</Td>
              <Td className="text-right tabular-nums">{count(v.nonSticky)}</Td>
              <Td className="text-right tabular-nums">{pct(v.errorRate)}</Td>
              <Td className="text-right tabular-nums">
                {ms(v.latencyP50)} / {ms(v.latencyP95)}
              </Td>
              <Td className="text-right tabular-nums">{ms(v.ttftP50)}</Td>
              <Td className="text-right tabular-nums">{isNum(v.tokensPerRequest) ? v.tokensPerRequest.toFixed(1) : "—"}</Td>
              <Td className="text-right tabular-nums">{usd(v.costPerRequest)}</Td>
              {v.metrics.map((m) => (
                <Td key={m.name} className="tabular-nums">
                  {metricValue(m.mean, m.kind)}
                  <span className="block text-xs text-slate-600 dark:text-slate-400">
                    {interval(m.interval.lower, m.interval.upper, m.kind)} · n={count(m.n)}
                  </span>
                </Td>
              ))}
            </tr>
          ))}
        </tbody>
      </Table>
      <p className="text-xs text-slate-600 dark:text-slate-400">
        Sample-ratio check: χ² = {isNum(results.srm.chiSquare) ? results.srm.chiSquare.toFixed(2) : "—"}, p = {pValue(results.srm.pValue)} on subjects and non-sticky requests against the weights
        (warns below 0.001).
      </p>

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
