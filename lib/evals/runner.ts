import "server-only";
import { randomUUID } from "node:crypto";
import { config } from "@/lib/config";
import { toAppError } from "@/lib/core";
import { onInvalidate, pool } from "@/lib/db";
import { logger, onShutdown } from "@/lib/observability";
import { buildChatRequest, globalValues, renderPrompt, type PromptContent } from "@/lib/prompts";
import { evaluationCall } from "./call";
import { scoreWithJudge } from "./judge";
import { scorerNames, type DatasetRow, type ScorerConfig } from "./schemas";
import { scoreDeterministic, type Score } from "./scorers";

// The background runner (README.md beside this file). Every instance runs one; each run is worked by
// one instance at a time, the holder of its lease:
// 1. Claim: a queued run, or a running one whose lease has passed (its instance died), is taken
//    FOR UPDATE SKIP LOCKED and leased to this instance; the lease is renewed every third of it.
// 2. Rows: a row is claimed by inserting its EvalRow (unique run, row index) before its call, so a row
//    done or under way is never started again. On a takeover, the rows the dead instance had claimed
//    but not finished get attempts + 1 and are run again: they are the only rows that can reach the
//    upstream twice, at most `concurrency` of them per takeover.
// 3. Outcomes are fenced by the attempt number: a stalled instance's late answer changes nothing.
// 4. Cancel: the heartbeat reads the status; a cancelled run starts no new row, and the rows under way
//    finish and are recorded.

export const INSTANCE_ID = randomUUID();
const ERROR_MAX = 1_000;

type RunRow = {
  id: string; workspaceId: string; datasetVersionId: string; content: PromptContent; accountId: string | null; model: string;
  promptVersionId: string | null; scorers: ScorerConfig[]; concurrency: number; total: number;
};

const ms = (n: number) => `${n} milliseconds`;

async function claimRun(): Promise<RunRow | null> {
  const { rows } = await pool().query<RunRow>(
    `UPDATE "EvalRun" r SET "leaseOwner" = $1, "leaseUntil" = now() + $2::interval, status = 'running', "startedAt" = COALESCE(r."startedAt", now())
       FROM (SELECT id FROM "EvalRun"
              WHERE status IN ('queued', 'running') AND ("leaseUntil" IS NULL OR "leaseUntil" < now())
              ORDER BY "createdAt" LIMIT 1 FOR UPDATE SKIP LOCKED) c
      WHERE r.id = c.id
      RETURNING r.id, r."workspaceId", r."datasetVersionId", r.content, r."accountId", r.model, r."promptVersionId", r.scorers, r.concurrency, r.total`,
    [INSTANCE_ID, ms(config().EVAL_LEASE_MS)],
  );
  return rows[0] ?? null;
}

/** Renews the lease and refreshes the counts; answers whether this instance may go on (still the holder, not cancelled). */
async function heartbeat(runId: string): Promise<boolean> {
  const { rows } = await pool().query<{ status: string }>(
    `UPDATE "EvalRun" r SET "leaseUntil" = now() + $3::interval,
            done = (SELECT count(*) FROM "EvalRow" WHERE "runId" = r.id AND status = 'done'),
            failed = (SELECT count(*) FROM "EvalRow" WHERE "runId" = r.id AND status = 'failed')
      WHERE id = $1 AND "leaseOwner" = $2 RETURNING status`,
    [runId, INSTANCE_ID, ms(config().EVAL_LEASE_MS)],
  );
  return rows[0]?.status === "running";
}

/** Ends this instance's hold on a run: completed when every row has its result, else left for a later pass. */
async function finish(runId: string, release: boolean): Promise<void> {
  await pool().query(
    `UPDATE "EvalRun" r SET
            done = c.done, failed = c.failed,
            status = CASE WHEN r.status = 'running' AND c.done + c.failed >= r.total THEN 'completed' ELSE r.status END,
            "finishedAt" = CASE WHEN r.status = 'running' AND c.done + c.failed < r.total THEN NULL ELSE COALESCE(r."finishedAt", now()) END,
            "leaseOwner" = CASE WHEN r.status = 'running' AND c.done + c.failed < r.total THEN r."leaseOwner" ELSE NULL END,
            "leaseUntil" = CASE WHEN $3::boolean THEN now() ELSE r."leaseUntil" END
       FROM (SELECT count(*) FILTER (WHERE status = 'done')::int AS done, count(*) FILTER (WHERE status = 'failed')::int AS failed
               FROM "EvalRow" WHERE "runId" = $1) c
      WHERE r.id = $1 AND r."leaseOwner" = $2`,
    [runId, INSTANCE_ID, release],
  );
}

/**
 * Claims a row: its EvalRow is inserted only while the run is running and held by this instance, so a
 * cancel or a lost lease stops new rows at once, not at the next heartbeat. "stop" when the run is no
 * longer ours to work; null when the row was already claimed.
 */
async function claimRow(runId: string, index: number): Promise<number | null | "stop"> {
  const { rows } = await pool().query<{ attempts: number }>(
    `INSERT INTO "EvalRow" ("runId", "rowIndex")
     SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM "EvalRun" WHERE id = $1 AND status = 'running' AND "leaseOwner" = $3)
     ON CONFLICT ("runId", "rowIndex") DO NOTHING RETURNING attempts`,
    [runId, index, INSTANCE_ID],
  );
  if (rows[0]) return rows[0].attempts;
  const { rows: still } = await pool().query(`SELECT 1 FROM "EvalRun" WHERE id = $1 AND status = 'running' AND "leaseOwner" = $2`, [runId, INSTANCE_ID]);
  return still.length ? null : "stop";
}

type RowResult = { status: "done" | "failed"; output: string | null; scores: Record<string, Score> | null; latencyMs: number | null; cost: number | null; inputTokens: number | null; outputTokens: number | null; error: string | null };

async function record(runId: string, index: number, attempts: number, r: RowResult): Promise<void> {
  await pool().query(
    `UPDATE "EvalRow" SET status = $4, output = $5, scores = $6, "latencyMs" = $7, cost = $8, "inputTokens" = $9, "outputTokens" = $10, error = $11, "completedAt" = now()
      WHERE "runId" = $1 AND "rowIndex" = $2 AND attempts = $3 AND status = 'running'`,
    [runId, index, attempts, r.status, r.output, r.scores === null ? null : JSON.stringify(r.scores), r.latencyMs, r.cost, r.inputTokens, r.outputTokens, r.error],
  );
}

export async function runRow(run: RunRow, row: DatasetRow, globals: Record<string, unknown>): Promise<RowResult> {
  let answer;
  try {
    const { messages } = renderPrompt(run.content, row.variables, globals);
    const request = buildChatRequest(run.content.config, messages, { overrides: { model: run.model } });
    answer = await evaluationCall(run.workspaceId, request, { accountId: run.accountId, promptVersionId: run.promptVersionId, runId: run.id });
  } catch (err) {
    const e = toAppError(err);
    return { status: "failed", output: null, scores: null, latencyMs: null, cost: null, inputTokens: null, outputTokens: null, error: `${e.code}: ${e.message}`.slice(0, ERROR_MAX) };
  }
  const names = scorerNames(run.scorers);
  const scores: Record<string, Score> = {};
  for (const [i, s] of run.scorers.entries()) {
    try {
      scores[names[i]!] = s.type === "judge" ? await scoreWithJudge(run.workspaceId, run.id, s, row, answer.output) : scoreDeterministic(s, answer.output, row.expected);
    } catch (err) {
      const e = toAppError(err);
      scores[names[i]!] = { score: null, pass: null, error: `${e.code}: ${e.message}`.slice(0, ERROR_MAX) };
    }
  }
  return { status: "done", output: answer.output, scores, latencyMs: answer.latencyMs, cost: answer.cost, inputTokens: answer.inputTokens, outputTokens: answer.outputTokens, error: null };
}

/** Works one claimed run until its rows are done, it is cancelled, the lease is lost or the instance stops. */
async function workRun(run: RunRow): Promise<void> {
  const { rows: dv } = await pool().query<{ rows: DatasetRow[] }>(`SELECT rows FROM "DatasetVersion" WHERE id = $1`, [run.datasetVersionId]);
  const dataset = dv[0]?.rows ?? [];
  // The dead holder's unfinished rows: ours now, one attempt later.
  const { rows: resumed } = await pool().query<{ rowIndex: number; attempts: number }>(
    `UPDATE "EvalRow" SET attempts = attempts + 1, "claimedAt" = now() WHERE "runId" = $1 AND status = 'running' RETURNING "rowIndex", attempts`,
    [run.id],
  );
  const { rows: existing } = await pool().query<{ rowIndex: number }>(`SELECT "rowIndex" FROM "EvalRow" WHERE "runId" = $1`, [run.id]);
  const taken = new Set(existing.map((r) => r.rowIndex));
  const queue: { index: number; attempts: number | null }[] = [
    ...resumed.sort((a, b) => a.rowIndex - b.rowIndex).map((r) => ({ index: r.rowIndex, attempts: r.attempts })),
    ...dataset.map((_, i) => i).filter((i) => !taken.has(i)).map((index) => ({ index, attempts: null })),
  ];
  const globals = await globalValues(run.workspaceId);
  let go = true;
  const beat = setInterval(() => {
    heartbeat(run.id).then((ok) => { if (!ok) go = false; }, (err: unknown) => logger.warn({ err, run: run.id }, "evaluation heartbeat failed"));
  }, Math.max(200, Math.floor(config().EVAL_LEASE_MS / 3)));
  beat.unref();
  const lane = async () => {
    for (;;) {
      if (!go || runner.stopping) return;
      const next = queue.shift();
      if (!next) return;
      const attempts = next.attempts ?? (await claimRow(run.id, next.index));
      if (attempts === "stop") {
        go = false;
        return;
      }
      if (attempts === null) continue;
      const row = dataset[next.index];
      const result: RowResult = row
        ? await runRow(run, row, globals)
        : { status: "failed", output: null, scores: null, latencyMs: null, cost: null, inputTokens: null, outputTokens: null, error: "the dataset version has no such row" };
      await record(run.id, next.index, attempts, result);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, run.concurrency) }, lane));
  } finally {
    clearInterval(beat);
    // At shutdown the lease is handed back at once, so another instance resumes without waiting for it.
    await finish(run.id, runner.stopping);
  }
}

/** One pass: claims and works runs until none is waiting. */
export async function workDueRuns(): Promise<number> {
  let worked = 0;
  while (!runner.stopping) {
    const run = await claimRun();
    if (!run) break;
    worked++;
    try {
      await workRun(run);
    } catch (err) {
      logger.error({ err, run: run.id }, "evaluation run failed");
      await pool().query(`UPDATE "EvalRun" SET status = 'failed', error = $3, "finishedAt" = now(), "leaseOwner" = NULL WHERE id = $1 AND "leaseOwner" = $2`, [run.id, INSTANCE_ID, String((err as Error).message).slice(0, ERROR_MAX)]);
    }
  }
  return worked;
}

// ---- the worker ---------------------------------------------------------------------------------

type Runner = { started: boolean; stopping: boolean; running?: Promise<void>; again: boolean; poll?: NodeJS.Timeout };
const g = globalThis as typeof globalThis & { __pgEvalRunner?: Runner };
const runner: Runner = (g.__pgEvalRunner ??= { started: false, stopping: false, again: false });

export function wakeEvalRunner(): void {
  if (runner.stopping) return;
  if (runner.running) {
    runner.again = true;
    return;
  }
  runner.running = (async () => {
    do {
      runner.again = false;
      try {
        await workDueRuns();
      } catch (err) {
        logger.warn({ err }, "evaluation runner pass failed; will retry");
      }
    } while (runner.again && !runner.stopping);
  })().finally(() => {
    runner.running = undefined;
  });
}

/** Starts the runner in this process (idempotent; instrumentation.ts, unless EVAL_WORKER=false). */
export function startEvalRunner(): void {
  if (runner.started || !config().EVAL_WORKER) return;
  runner.started = true;
  runner.stopping = false;
  onInvalidate("evals", () => wakeEvalRunner());
  runner.poll = setInterval(wakeEvalRunner, config().EVAL_POLL_MS);
  runner.poll.unref();
  // Before the usage flush (10): the rows finishing now record usage too.
  onShutdown("evaluations", stopEvalRunner, 5);
  wakeEvalRunner();
}

/** Starts no new row; the rows under way finish and are recorded, and the lease is handed back. */
export async function stopEvalRunner(): Promise<void> {
  runner.stopping = true;
  clearInterval(runner.poll);
  await runner.running;
}
