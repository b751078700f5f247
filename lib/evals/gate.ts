import "server-only";
import { withAudit } from "@/lib/audit";
import { AppError, workspaceOf, type Principal } from "@/lib/core";
import { db, type DbClient } from "@/lib/db";
import { registerLabelGate, type LabelMove } from "@/lib/prompts";
import { aggregateRun, compareRuns, type ScoredRow } from "./analysis";
import { setGateInput, type ScorerConfig } from "./schemas";
import type { Score } from "./scorers";

// The optional gate (issue 20 §3): a prompt's label may require, before it moves to a version, a
// completed run of that version on a dataset whose scorer reaches a threshold, and, with noRegression,
// no significantly worse paired result than the version the label serves now (on the same dataset
// version). lib/prompts asks every registered gate inside the move's transaction; the refusal's
// message says what is missing, and the API and the label-move dialog show it.

export type GateView = { id: string; prompt: string; label: string; datasetId: string; datasetName: string; scorer: string; minScore: number | null; noRegression: boolean; updatedAt: string };

type RunForGate = { id: string; datasetVersionId: string; scorers: ScorerConfig[]; total: number; datasetVersion: { version: number } };

async function latestRun(client: DbClient, where: { workspaceId: string; promptName: string; promptVersion: number; datasetId?: string; datasetVersionId?: string }): Promise<RunForGate | null> {
  const r = await client.evalRun.findFirst({
    where: {
      workspaceId: where.workspaceId, promptName: where.promptName, promptVersion: where.promptVersion, status: "completed",
      ...(where.datasetVersionId ? { datasetVersionId: where.datasetVersionId } : { datasetVersion: { datasetId: where.datasetId } }),
    },
    orderBy: { createdAt: "desc" },
    select: { id: true, datasetVersionId: true, scorers: true, total: true, datasetVersion: { select: { version: true } } },
  });
  return r ? { ...r, scorers: r.scorers as unknown as ScorerConfig[] } : null;
}

async function scoredRows(client: DbClient, runId: string): Promise<Map<number, ScoredRow>> {
  const rows = await client.evalRow.findMany({ where: { runId, status: { in: ["done", "failed"] } }, select: { rowIndex: true, status: true, scores: true, latencyMs: true, cost: true } });
  return new Map(rows.map((r) => [r.rowIndex, { status: r.status, scores: (r.scores ?? {}) as unknown as Record<string, Score>, latencyMs: r.latencyMs, cost: r.cost }]));
}

/** Why this move is refused, or null. */
export async function evaluationGate(move: LabelMove, client: DbClient = db): Promise<string | null> {
  const gate = await client.evalGate.findFirst({ where: { workspaceId: move.workspaceId, promptName: move.prompt, label: move.label }, include: { dataset: { select: { name: true } } } });
  if (!gate) return null;
  const needs = `'${move.label}' of '${move.prompt}' needs a passing evaluation on dataset '${gate.dataset.name}'`;
  const run = await latestRun(client, { workspaceId: move.workspaceId, promptName: move.prompt, promptVersion: move.toVersion, datasetId: gate.datasetId });
  if (!run) return `${needs}: version ${move.toVersion} has no completed run on it yet.`;
  const rows = await scoredRows(client, run.id);
  const agg = aggregateRun(run.scorers, run.total, rows.values()).scorers.find((s) => s.key === gate.scorer);
  if (!agg) return `${needs}: run ${run.id} of version ${move.toVersion} has no scorer '${gate.scorer}'.`;
  if (gate.minScore !== null && !(agg.estimate.estimate >= gate.minScore)) {
    const got = agg.kind === "pass/fail" ? `a pass rate of ${(agg.estimate.estimate * 100).toFixed(1)}%` : `a mean score of ${agg.estimate.estimate.toFixed(2)}`;
    const want = agg.kind === "pass/fail" ? `${(gate.minScore * 100).toFixed(1)}%` : gate.minScore.toFixed(2);
    return `${needs}: version ${move.toVersion} had ${got} on '${gate.scorer}' in run ${run.id}; the gate needs at least ${want}.`;
  }
  if (gate.noRegression && move.fromVersion !== null && move.fromVersion !== move.toVersion) {
    const base = await latestRun(client, { workspaceId: move.workspaceId, promptName: move.prompt, promptVersion: move.fromVersion, datasetVersionId: run.datasetVersionId });
    if (!base) return `${needs}: to check for a regression, run the version '${move.label}' serves now (version ${move.fromVersion}) on the same dataset version (${run.datasetVersion.version}).`;
    const cmp = compareRuns(base.scorers, await scoredRows(client, base.id), run.scorers, rows, { labels: [`version ${move.fromVersion}`, `version ${move.toVersion}`] });
    const s = cmp.scorers.find((x) => x.key === gate.scorer);
    if (s?.verdict === "worse") return `${needs} and no regression: ${s.sentence}`;
  }
  return null;
}

/** Makes label moves ask the gate (instrumentation.ts, in every server process). */
export function installEvaluationGate(): void {
  registerLabelGate("evaluations", evaluationGate);
}

function view(g: { id: string; promptName: string; label: string; datasetId: string; scorer: string; minScore: number | null; noRegression: boolean; updatedAt: Date; dataset: { name: string } }): GateView {
  return { id: g.id, prompt: g.promptName, label: g.label, datasetId: g.datasetId, datasetName: g.dataset.name, scorer: g.scorer, minScore: g.minScore, noRegression: g.noRegression, updatedAt: g.updatedAt.toISOString() };
}

export async function listGates(actor: Principal): Promise<GateView[]> {
  const rows = await db.evalGate.findMany({ where: { workspaceId: workspaceOf(actor) }, include: { dataset: { select: { name: true } } }, orderBy: [{ promptName: "asc" }, { label: "asc" }] });
  return rows.map(view);
}

/** Sets (creates or replaces) the gate of a prompt's label. Audited. */
export async function setGate(actor: Principal, input: unknown, ip?: string | null): Promise<GateView> {
  const body = setGateInput.parse(input);
  const workspaceId = workspaceOf(actor);
  return withAudit(actor, { action: "evaluation.gate.set", targetType: "evaluation", ip }, async (tx) => {
    if (!(await tx.dataset.findFirst({ where: { id: body.datasetId, workspaceId } }))) throw new AppError("not_found", `Dataset ${body.datasetId} not found`, { param: "datasetId" });
    if (!(await tx.prompt.findFirst({ where: { workspaceId, name: body.prompt } }))) throw new AppError("not_found", `Prompt '${body.prompt}' not found`, { param: "prompt" });
    const data = { datasetId: body.datasetId, scorer: body.scorer, minScore: body.minScore, noRegression: body.noRegression };
    const g = await tx.evalGate.upsert({
      where: { workspaceId_promptName_label: { workspaceId, promptName: body.prompt, label: body.label } },
      create: { workspaceId, promptName: body.prompt, label: body.label, ...data },
      update: data,
      include: { dataset: { select: { name: true } } },
    });
    return { result: view(g), targetId: g.id, after: body };
  });
}

export async function deleteGate(actor: Principal, id: string, ip?: string | null): Promise<void> {
  await withAudit(actor, { action: "evaluation.gate.delete", targetType: "evaluation", ip }, async (tx) => {
    const g = await tx.evalGate.findFirst({ where: { id, workspaceId: workspaceOf(actor) } });
    if (!g) throw new AppError("not_found", `Evaluation gate ${id} not found`);
    await tx.evalGate.delete({ where: { id } });
    return { result: undefined, targetId: id, before: { prompt: g.promptName, label: g.label } };
  });
}
