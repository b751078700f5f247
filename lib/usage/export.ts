import "server-only";
import pg from "pg";
import type { Principal } from "@/lib/core";
import { config } from "@/lib/config";
import { AppError } from "@/lib/core";
import { logger } from "@/lib/observability";
import { histogramPercentile, LATENCY_BUCKETS } from "./histogram";
import { resolveWindow, segments } from "./range";
import { NIL_UUID } from "./rollups";
import { ALL_WORKSPACES, type UsageView } from "./schemas";
import { usageScope } from "./scope";
import { exportAggregateSql } from "./dashboard";

// CSV exports streamed straight from a server-side cursor: a pull-based
// ReadableStream fetches the next FETCH_ROWS rows only when the client has
// taken the previous ones, so memory stays flat whatever the size of the export
// and a slow client simply stops the fetching. Each export holds its own
// connection (not one of the pool's, which the gateway needs) and a transaction
// open for as long as it runs, so none may run unbounded: at most
// MAX_CONCURRENT per instance and EXPORT_MAX_PER_USER per caller (cluster-wide,
// through advisory locks held by the export's own transaction), each ended when
// its reader takes nothing for EXPORT_IDLE_TIMEOUT_MS or after
// EXPORT_MAX_DURATION_MS. Postgres ends the transaction itself if the instance
// leaves it idle longer than that (a frozen process runs no timers).

const FETCH_ROWS = 2000;
const MAX_CONCURRENT = 3;
const PG_IDLE_MARGIN_MS = 5_000;
let running = 0;

/** A decimal kept as text for its precision (e.g. cost_usd), written unquoted like any number. */
export class CsvNumber {
  constructor(readonly text: string) {}
}
export const csvNumber = (text: string) => new CsvNumber(text);

const FORMULA_START = /^[=+\-@\t\r]/;
// Where a spreadsheet's list separator is ";" it may split a value at a ";"
// (readers that honour quotes only at a field's start do so even inside our
// quotes), so what follows a ";" must not start a formula either.
const FORMULA_AFTER_SEMICOLON = /;("*)(?=[=+\-@\t\r])/g;

/**
 * RFC 4180 with every text field quoted, so a reader splitting on another
 * separator still sees one value; text a spreadsheet would run as a formula,
 * at the start or after a ";", gets an apostrophe. Numbers, dates and booleans
 * are unquoted.
 */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return String(v);
  if (v instanceof CsvNumber && /^-?\d+(?:\.\d+)?$/.test(v.text)) return v.text;
  let s = v instanceof CsvNumber ? v.text : String(v);
  if (FORMULA_START.test(s)) s = `'${s}`;
  s = s.replace(FORMULA_AFTER_SEMICOLON, ";$1'");
  return `"${s.replace(/"/g, '""')}"`;
}

export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvField).join(",")}\r\n`;
}

type CsvSource<R> = { sql: string; params: unknown[]; header: string[]; row: (r: R) => unknown[] };

/** Whom an export counts against: the signed-in user, the API key, or the system caller. */
function ownerOf(p: Principal): string {
  return p.kind === "user" ? `user:${p.user.id}` : p.kind === "apiKey" ? `key:${p.key.id}` : `system:${p.name}`;
}

/** One of the caller's EXPORT_MAX_PER_USER slots, held until the transaction ends (however it ends). */
async function takeSlot(client: pg.Client, owner: string, slots: number): Promise<boolean> {
  for (let slot = 0; slot < slots; slot++) {
    const { rows } = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_xact_lock(hashtextextended($1, $2)) AS ok", [`promptgate-export:${owner}`, slot]);
    if (rows[0]?.ok) return true;
  }
  return false;
}

/** Opens the export's transaction and cursor (refusing it with a 429 when a limit is reached), then streams it. */
async function streamCsv<R>(by: Principal, src: CsvSource<R>): Promise<ReadableStream<Uint8Array>> {
  const { DATABASE_URL, EXPORT_IDLE_TIMEOUT_MS: idleMs, EXPORT_MAX_DURATION_MS: maxMs, EXPORT_MAX_PER_USER: perCaller } = config();
  if (running >= MAX_CONCURRENT) throw new AppError("rate_limit_exceeded", `At most ${MAX_CONCURRENT} exports run at once on an instance; try again shortly`);
  running++;
  const owner = ownerOf(by);
  let client: pg.Client | undefined = new pg.Client({ connectionString: DATABASE_URL, application_name: "promptgate-export" });
  let finished = false;
  let idleTimer: NodeJS.Timeout | undefined;
  let deadline: NodeJS.Timeout | undefined;
  const finish = async (commit: boolean) => {
    if (finished) return;
    finished = true;
    running--;
    clearTimeout(idleTimer);
    clearTimeout(deadline);
    const c = client;
    client = undefined;
    if (!c) return;
    await c.query(commit ? "COMMIT" : "ROLLBACK").catch(() => {});
    await c.end().catch(() => {});
  };

  try {
    client.on("error", () => {});
    await client.connect();
    await client.query("BEGIN READ ONLY");
    await client.query("SELECT set_config('idle_in_transaction_session_timeout', $1, true)", [String(idleMs + PG_IDLE_MARGIN_MS)]);
    if (!(await takeSlot(client, owner, perCaller))) {
      throw new AppError("rate_limit_exceeded", `You already have ${perCaller} exports running, the most one caller may run at once; wait for one to finish`);
    }
    await client.query(`DECLARE export_cursor NO SCROLL CURSOR FOR ${src.sql}`, src.params);
  } catch (err) {
    await finish(false);
    throw err;
  }

  const encoder = new TextEncoder();
  const stop = (controller: ReadableStreamDefaultController<Uint8Array>, reason: string) => {
    if (finished) return;
    logger.warn({ owner, reason }, "usage export stopped");
    controller.error(new Error(reason));
    void finish(false);
  };
  // Armed whenever a chunk waits for the reader; the next pull disarms it.
  const waitForReader = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => stop(controller, `The export was idle: its reader took nothing for ${idleMs} ms (EXPORT_IDLE_TIMEOUT_MS)`), idleMs).unref();
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        deadline = setTimeout(() => stop(controller, `The export ran longer than ${maxMs} ms (EXPORT_MAX_DURATION_MS) and was stopped; export a shorter range`), maxMs).unref();
        controller.enqueue(encoder.encode(csvLine(src.header)));
        waitForReader(controller);
      },
      async pull(controller) {
        clearTimeout(idleTimer);
        if (finished) return;
        try {
          const { rows } = await client!.query<R & pg.QueryResultRow>(`FETCH ${FETCH_ROWS} FROM export_cursor`);
          if (finished) return; // stopped by a timer while fetching
          if (rows.length === 0) {
            await finish(true);
            controller.close();
            return;
          }
          let chunk = "";
          for (const r of rows) chunk += csvLine(src.row(r));
          controller.enqueue(encoder.encode(chunk));
          waitForReader(controller);
        } catch (err) {
          if (finished) return;
          logger.error({ err }, "usage export failed mid-stream");
          await finish(false);
          controller.error(err);
        }
      },
      async cancel() {
        await finish(false);
      },
    },
    // One fetched chunk may wait in the queue while the next is fetched; no more.
    { highWaterMark: 1 },
  );
}

const nilToNull = (id: string | null) => (id === NIL_UUID ? null : id);

type EventRow = {
  createdAt: Date; completionId: string; apiKeyId: string | null; keyName: string | null; endUser: string | null; source: string; surface: string;
  accountId: string | null; accountName: string | null; provider: string | null; requestedModel: string; servedModel: string | null;
  promptVersionId: string | null; experimentId: string | null; variantId: string | null; inputTokens: number; outputTokens: number;
  cachedTokens: number; costUsd: string; priceKnown: boolean; latencyMs: number; ttftMs: number | null; status: string;
  errorCode: string | null; stream: boolean; attempts: number; metadata: unknown; workspaceId: string; workspaceName: string | null;
  requestLog?: unknown; responseLog?: unknown;
};

const EVENT_HEADER = [
  "created_at", "completion_id", "api_key_id", "api_key_name", "end_user", "source", "surface", "account_id", "account_name", "provider",
  "requested_model", "served_model", "prompt_version_id", "experiment_id", "variant_id", "input_tokens", "output_tokens",
  "cached_tokens", "cost_usd", "price_known", "latency_ms", "ttft_ms", "status", "error_code", "stream", "attempts", "metadata",
  "workspace_id", "workspace_name",
];

/**
 * Raw usage events of a view's window and filters, oldest first. Request logs
 * (already redacted) are left out unless `includeLogs` is asked for explicitly;
 * the route allows that to admins only.
 */
export async function exportEvents(
  by: Principal, view: UsageView, { now = Date.now(), includeLogs = false } = {},
): Promise<{ stream: ReadableStream<Uint8Array>; filename: string }> {
  const scope = await usageScope(by, view.workspace);
  const w = resolveWindow(view, now);
  const f = view.filters;
  const params: unknown[] = [w.from, w.to];
  const p = (v: unknown) => (params.push(v), `$${params.length}`);
  // One workspace (filter ids from another workspace match nothing), or all for an instance admin.
  const where = [`e."createdAt" >= $1`, `e."createdAt" < $2`];
  if (scope !== ALL_WORKSPACES) where.push(`e."workspaceId" = ${p(scope)}::uuid`);
  if (f.model) where.push(`COALESCE(e."servedModel", e."requestedModel") = ${p(f.model)}`);
  if (f.key) where.push(`COALESCE(e."apiKeyId", '${NIL_UUID}') = ${p(f.key)}::uuid`);
  if (f.account) where.push(`COALESCE(e."accountId", '${NIL_UUID}') = ${p(f.account)}::uuid`);
  if (f.status) where.push(`e.status = ${p(f.status)}`);
  if (f.surface) where.push(`e.surface = ${p(f.surface)}`);
  if (f.prompt) where.push(`e."promptVersionId" IN (SELECT id FROM "PromptVersion" WHERE "promptId" = ${p(f.prompt)}::uuid)`);
  const sql = `SELECT e."createdAt", e."completionId", e."apiKeyId", k.name AS "keyName", e."endUser", e.source, e.surface, e."accountId", a.name AS "accountName",
    e.provider, e."requestedModel", e."servedModel", e."promptVersionId", e."experimentId", e."variantId", e."inputTokens", e."outputTokens",
    e."cachedTokens", e."costUsd"::text AS "costUsd", e."priceKnown", e."latencyMs", e."ttftMs", e.status, e."errorCode", e.stream, e.attempts, e.metadata,
    e."workspaceId"::text AS "workspaceId", ws.name AS "workspaceName"
    ${includeLogs ? `, l.request AS "requestLog", l.response AS "responseLog"` : ""}
  FROM "UsageEvent" e LEFT JOIN "ApiKey" k ON k.id = e."apiKeyId" LEFT JOIN "ProviderAccount" a ON a.id = e."accountId"
  LEFT JOIN "Workspace" ws ON ws.id = e."workspaceId"
  ${includeLogs ? `LEFT JOIN "RequestLog" l ON l."completionId" = e."completionId" AND l."expiresAt" > now()` : ""}
  WHERE ${where.join(" AND ")} ORDER BY e."createdAt", e.id`;
  const stream = await streamCsv<EventRow>(by, {
    sql, params, header: includeLogs ? [...EVENT_HEADER, "request_log", "response_log"] : EVENT_HEADER,
    row: (r) => [
      r.createdAt, r.completionId, r.apiKeyId, r.keyName, r.endUser, r.source, r.surface, r.accountId, r.accountName, r.provider, r.requestedModel,
      r.servedModel, r.promptVersionId, r.experimentId, r.variantId, r.inputTokens, r.outputTokens, r.cachedTokens, csvNumber(r.costUsd), r.priceKnown,
      r.latencyMs, r.ttftMs, r.status, r.errorCode, r.stream, r.attempts, r.metadata == null ? null : JSON.stringify(r.metadata), r.workspaceId, r.workspaceName,
      ...(includeLogs ? [r.requestLog == null ? null : JSON.stringify(r.requestLog), r.responseLog == null ? null : JSON.stringify(r.responseLog)] : []),
    ],
  });
  return { stream, filename: `usage-events_${stamp(w.from)}_${stamp(w.to)}.csv` };
}

type AggregateRow = {
  t: Date; model: string; accountId: string; accountName: string | null; apiKeyId: string; keyName: string | null;
  promptVersionId: string; promptLabel: string | null; variantId: string; status: string; surface: string; requests: string; errors: string;
  inputTokens: string; outputTokens: string; cachedTokens: string; costUsd: string; latencySumMs: string; latencyCount: string;
  ttftSumMs: string; ttftCount: string; hist: string[]; workspaceId: string; workspaceName: string | null;
};

const AGG_HEADER = [
  "bucket_start", "model", "account_id", "account_name", "api_key_id", "api_key_name", "prompt_version_id", "prompt_version",
  "variant_id", "status", "surface", "requests", "errors", "input_tokens", "output_tokens", "cached_tokens", "cost_usd", "avg_latency_ms",
  "p50_latency_ms", "p95_latency_ms", "avg_ttft_ms", "workspace_id", "workspace_name",
];

/** The view's window aggregated per bucket and every dimension (the rollup's grain), filtered like the page. */
export async function exportAggregate(by: Principal, view: UsageView, now = Date.now()): Promise<{ stream: ReadableStream<Uint8Array>; filename: string }> {
  const scope = await usageScope(by, view.workspace);
  const w = resolveWindow(view, now);
  const { sql, params } = exportAggregateSql(segments(w.from.getTime(), w.to.getTime(), w.bucket), w.bucket, { ...view.filters, workspaceId: scope === ALL_WORKSPACES ? null : scope });
  const stream = await streamCsv<AggregateRow>(by, {
    sql, params, header: AGG_HEADER,
    row: (r) => {
      const h = (r.hist ?? []).map(Number);
      const lc = Number(r.latencyCount);
      const tc = Number(r.ttftCount);
      return [
        r.t, r.model, nilToNull(r.accountId), r.accountName, nilToNull(r.apiKeyId), r.keyName, nilToNull(r.promptVersionId), r.promptLabel,
        nilToNull(r.variantId), r.status, r.surface, Number(r.requests), Number(r.errors), Number(r.inputTokens), Number(r.outputTokens),
        Number(r.cachedTokens), csvNumber(r.costUsd), lc ? Math.round(Number(r.latencySumMs) / lc) : null,
        h.length === LATENCY_BUCKETS ? histogramPercentile(h, 50) : null, h.length === LATENCY_BUCKETS ? histogramPercentile(h, 95) : null,
        tc ? Math.round(Number(r.ttftSumMs) / tc) : null, r.workspaceId, r.workspaceName,
      ];
    },
  });
  return { stream, filename: `usage-${w.bucket}_${stamp(w.from)}_${stamp(w.to)}.csv` };
}

const stamp = (d: Date) => d.toISOString().slice(0, 16).replace(/[-:]/g, "");
