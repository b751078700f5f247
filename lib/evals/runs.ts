import "server-only";
import { withAudit } from "@/lib/audit";
import { AppError, workspaceOf, type Principal } from "@/lib/core";
import { db, publishInvalidation, type Prisma } from "@/lib/db";
import { modelAllowed } from "@/lib/gateway";
import { composeContent, promptContent, resolvePrompt, type PromptContent } from "@/lib/prompts";
import { runRowsQuery, scorerNames, startRunInput, type RunStatus, type ScorerConfig } from "./schemas";
import type { Score } from "./scorers";

// Evaluation runs of the principal's workspace: start (queued; the runner picks it up), cancel, read
// progress and rows. Another workspace's run is 404.

export type RunView = {
  id: string; status: RunStatus; datasetId: string; datasetName: string; datasetVersion: number; datasetVersionId: string;
  prompt: string | null; promptVersion: number | null; draft: boolean; accountId: string | null; model: string;
  scorers: (ScorerConfig & { key: string })[]; concurrency: number;
  progress: { total: number; done: number; failed: number; running: number; remaining: number; etaSeconds: number | null };
  error: string | null; createdBy: string | null; createdAt: string; startedAt: string | null; finishedAt: string | null;
};

export type RowView = {
  index: number; status: string; attempts: number; variables: Record<string, unknown>; expected: string | null;
  output: string | null; scores: Record<string, Score>; latencyMs: number | null; cost: number | null; error: string | null;
};

const notFound = (id: string) => new AppError("not_found", `Evaluation run ${id} not found`);
const iso = (d: Date | null) => (d ? d.toISOString() : null);

type RunRow = Prisma.EvalRunGetPayload<{ include: { datasetVersion: { include: { dataset: { select: { id: true; name: true } } } } } }>;
const withDataset = { datasetVersion: { include: { dataset: { select: { id: true, name: true } } } } } as const;

async function findOwn(actor: Principal, id: string): Promise<RunRow> {
  const r = await db.evalRun.findFirst({ where: { id, workspaceId: workspaceOf(actor) }, include: withDataset });
  if (!r) throw notFound(id);
  return r;
}

async function counts(runId: string): Promise<{ done: number; failed: number; running: number }> {
  const g = await db.evalRow.groupBy({ by: ["status"], where: { runId }, _count: { _all: true } });
  const n = (s: string) => g.find((x) => x.status === s)?._count._all ?? 0;
  return { done: n("done"), failed: n("failed"), running: n("running") };
}

function view(r: RunRow, c: { done: number; failed: number; running: number }): RunView {
  const scorers = r.scorers as unknown as ScorerConfig[];
  const keys = scorerNames(scorers);
  const finished = c.done + c.failed;
  const remaining = Math.max(0, r.total - finished);
  // ETA from the pace so far: rows finished per second since the run started.
  const elapsed = r.startedAt ? (Date.now() - r.startedAt.getTime()) / 1000 : 0;
  const eta = r.status === "running" && finished > 0 && elapsed > 0 ? Math.round((remaining * elapsed) / finished) : null;
  return {
    id: r.id, status: r.status as RunStatus, datasetId: r.datasetVersion.dataset.id, datasetName: r.datasetVersion.dataset.name,
    datasetVersion: r.datasetVersion.version, datasetVersionId: r.datasetVersionId,
    prompt: r.promptName, promptVersion: r.promptVersion, draft: r.promptVersion === null, accountId: r.accountId, model: r.model,
    scorers: scorers.map((s, i) => ({ ...s, key: keys[i]! })), concurrency: r.concurrency,
    progress: { total: r.total, ...c, remaining, etaSeconds: eta },
    error: r.error, createdBy: r.createdByEmail, createdAt: r.createdAt.toISOString(), startedAt: iso(r.startedAt), finishedAt: iso(r.finishedAt),
  };
}

export async function listRuns(actor: Principal, filter: { datasetId?: string } = {}): Promise<RunView[]> {
  const rows = await db.evalRun.findMany({
    where: { workspaceId: workspaceOf(actor), ...(filter.datasetId ? { datasetVersion: { datasetId: filter.datasetId } } : {}) },
    include: withDataset, orderBy: { createdAt: "desc" }, take: 200,
  });
  return rows.map((r) => view(r, { done: r.done, failed: r.failed, running: 0 }));
}

export async function getRun(actor: Principal, id: string): Promise<RunView> {
  const r = await findOwn(actor, id);
  return view(r, await counts(id));
}

/** The workspace's allowed models and a key's `model:` scopes bound a run as they bound a call; an admin key needs no `completions` scope to start one. */
function assertRunModel(actor: Principal, model: string, param: string): void {
  if (!modelAllowed(actor, model)) throw new AppError("forbidden", `This workspace or key may not use the model '${model}'`, { param, extra: { code: "model_not_allowed" } });
}

const actorEmail = (p: Principal) => (p.kind === "user" ? p.user.email : p.kind === "apiKey" ? `apikey:${p.key.prefix}` : `system:${p.name}`);

/** Queues a run; the runner (runner.ts) on some instance picks it up. */
export async function startRun(actor: Principal, input: unknown, ip?: string | null): Promise<RunView> {
  const body = startRunInput.parse(input);
  const workspaceId = workspaceOf(actor);
  const dataset = await db.dataset.findFirst({ where: { id: body.datasetId, workspaceId } });
  if (!dataset) throw new AppError("not_found", `Dataset ${body.datasetId} not found`);
  const dv = await db.datasetVersion.findFirst({ where: { datasetId: dataset.id, ...(body.datasetVersion ? { version: body.datasetVersion } : {}) }, orderBy: { version: "desc" } });
  if (!dv) throw new AppError("validation_error", body.datasetVersion ? `Dataset '${dataset.name}' has no version ${body.datasetVersion}` : `Dataset '${dataset.name}' has no rows yet`, { param: "datasetVersion" });

  let content: PromptContent;
  let promptVersion: number | null = null;
  let promptVersionId: string | null = null;
  if (body.draft !== undefined) {
    content = promptContent.parse(body.draft);
  } else {
    const r = await resolvePrompt(workspaceId, body.prompt!, body.version ? { version: body.version } : { label: body.label });
    content = promptContent.parse({ type: r.version.type, messages: r.version.messages, text: r.version.text, variables: r.version.variables, config: r.version.config });
    promptVersion = r.version.version;
    promptVersionId = r.version.id;
  }
  // Includes are inlined once, here: the run's snapshot pins the included versions of its start, as
  // it pins the prompt's own version, so a label moved mid-run does not change what later rows run.
  content = (await composeContent(workspaceId, body.prompt ?? null, content)).content;
  const model = body.model ?? content.config.model;
  if (!model) throw new AppError("validation_error", "Choose a model: the prompt's config names none", { param: "model" });
  assertRunModel(actor, model, "model");
  for (const s of body.scorers) {
    if (s.type === "regex") {
      try {
        new RegExp(s.pattern, s.flags);
      } catch (err) {
        throw new AppError("validation_error", `Bad regex scorer pattern: ${(err as Error).message}`, { param: "scorers" });
      }
    }
    if (s.type === "judge") {
      assertRunModel(actor, s.model, "scorers");
      // The rubric must exist now; a run that could only fail is refused.
      await resolvePrompt(workspaceId, s.prompt, s.version ? { version: s.version } : { label: s.label });
    }
  }
  const run = await withAudit(actor, { action: "evaluation.start", targetType: "evaluation", ip }, async (tx) => {
    const r = await tx.evalRun.create({
      data: {
        workspaceId, datasetVersionId: dv.id, promptName: body.prompt ?? null, promptVersion, promptVersionId,
        content: content as unknown as Prisma.InputJsonValue, accountId: body.accountId ?? null, model,
        scorers: body.scorers as unknown as Prisma.InputJsonValue, concurrency: body.concurrency, total: dv.rowCount, createdByEmail: actorEmail(actor),
      },
    });
    return { result: r, targetId: r.id, after: { dataset: dataset.name, datasetVersion: dv.version, prompt: body.prompt ?? null, version: promptVersion ?? "draft", model, scorers: body.scorers.map((s) => s.type) } };
  });
  // Wakes an idle runner on every instance; the poll is the backstop.
  await publishInvalidation("evals", run.id).catch(() => undefined);
  return getRun(actor, run.id);
}

/** Cancels a queued or running run: no new row starts; the rows under way finish and are recorded. */
export async function cancelRun(actor: Principal, id: string, ip?: string | null): Promise<RunView> {
  await findOwn(actor, id);
  await withAudit(actor, { action: "evaluation.cancel", targetType: "evaluation", ip }, async (tx) => {
    const n = await tx.evalRun.updateMany({ where: { id, status: { in: ["queued", "running"] } }, data: { status: "cancelled", finishedAt: new Date() } });
    if (n.count === 0) throw new AppError("conflict", "The run has already ended");
    return { result: undefined, targetId: id };
  });
  return getRun(actor, id);
}

export async function deleteRun(actor: Principal, id: string, ip?: string | null): Promise<void> {
  const r = await findOwn(actor, id);
  if (r.status === "running" || r.status === "queued") throw new AppError("conflict", "Cancel the run before deleting it");
  await withAudit(actor, { action: "evaluation.delete", targetType: "evaluation", ip }, async (tx) => {
    await tx.evalRun.delete({ where: { id } });
    return { result: undefined, targetId: id };
  });
}

const failing = (s: Score | undefined) => !!s && (s.pass === false || (s.pass === null && s.score === 0));

/** The results table: each row's variables, expected and actual output, scores, latency and cost. */
export async function runRows(actor: Principal, id: string, query: unknown = {}): Promise<{ rows: RowView[]; total: number }> {
  const q = runRowsQuery.parse(query);
  const r = await findOwn(actor, id);
  const data = (await db.datasetVersion.findUniqueOrThrow({ where: { id: r.datasetVersionId }, select: { rows: true } })).rows as unknown as { variables: Record<string, unknown>; expected: string | null }[];
  const rows = await db.evalRow.findMany({ where: { runId: id, ...(q.status ? { status: q.status } : {}) }, orderBy: { rowIndex: "asc" } });
  const all = rows
    .map((x): RowView => ({
      index: x.rowIndex, status: x.status, attempts: x.attempts, variables: data[x.rowIndex]?.variables ?? {}, expected: data[x.rowIndex]?.expected ?? null,
      output: x.output, scores: (x.scores ?? {}) as unknown as Record<string, Score>, latencyMs: x.latencyMs, cost: x.cost, error: x.error,
    }))
    .filter((x) => !q.failing || failing(x.scores[q.failing]));
  return { rows: all.slice(q.offset, q.offset + q.limit), total: all.length };
}

/** Every finished row's scores, by row index: what aggregates and comparisons are computed from. */
export async function runScores(actor: Principal, id: string): Promise<{ run: RunView; rows: Map<number, { status: string; scores: Record<string, Score>; latencyMs: number | null; cost: number | null }> }> {
  const run = await getRun(actor, id);
  const rows = await db.evalRow.findMany({ where: { runId: id, status: { in: ["done", "failed"] } }, select: { rowIndex: true, status: true, scores: true, latencyMs: true, cost: true } });
  return { run, rows: new Map(rows.map((r) => [r.rowIndex, { status: r.status, scores: (r.scores ?? {}) as unknown as Record<string, Score>, latencyMs: r.latencyMs, cost: r.cost }])) };
}
