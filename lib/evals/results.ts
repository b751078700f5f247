import "server-only";
import { AppError, type Principal } from "@/lib/core";
import { aggregateRun, compareRuns, type PairedComparison, type RunAggregates } from "./analysis";
import { runScores, type RunView } from "./runs";
import type { ScorerConfig } from "./schemas";

export async function runResults(actor: Principal, id: string): Promise<{ run: RunView; aggregates: RunAggregates }> {
  const { run, rows } = await runScores(actor, id);
  return { run, aggregates: aggregateRun(run.scorers as ScorerConfig[], run.progress.total, rows.values()) };
}

const label = (r: RunView) => `${r.prompt ?? "draft"} ${r.draft ? "(draft)" : `v${r.promptVersion}`}`;

/** Run B (the candidate) against run A (the baseline), paired by row: both must be on the same dataset version. */
export async function compareEvalRuns(actor: Principal, a: string, b: string): Promise<{ a: RunView; b: RunView } & PairedComparison> {
  const [A, B] = await Promise.all([runScores(actor, a), runScores(actor, b)]);
  if (A.run.datasetVersionId !== B.run.datasetVersionId) {
    throw new AppError("validation_error", `The runs are on different dataset versions (${A.run.datasetName} v${A.run.datasetVersion}, ${B.run.datasetName} v${B.run.datasetVersion}): rows pair only within one version`, { param: "b" });
  }
  const la = label(A.run);
  const lb = label(B.run);
  const cmp = compareRuns(A.run.scorers as ScorerConfig[], A.rows, B.run.scorers as ScorerConfig[], B.rows, { labels: la === lb ? ["run A", "run B"] : [la, lb] });
  return { a: A.run, b: B.run, ...cmp };
}
