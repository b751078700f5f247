import { Badge } from "@/components/ui/badge";
import type { ExperimentResults, PrimaryComparison } from "@/lib/experiments/schemas";
import { interval, pct, signedPct } from "./format";

const verdictTone: Record<PrimaryComparison["verdict"], "green" | "amber" | "gray"> = {
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

/** The verdict on the primary metric, one per treatment against the control; none before the experiment runs. */
export function Verdict({ results }: { results: ExperimentResults }) {
  const { experiment, primary } = results;
  return (
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
  );
}
