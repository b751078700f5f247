import "server-only";
import pg from "pg";
import { config } from "@/lib/config";
import { AppError } from "@/lib/http/errors";
import { logger } from "@/lib/observability";
import { histogramPercentile, LATENCY_BUCKETS } from "./histogram";
import { resolveWindow, segments } from "./range";
import { NIL_UUID } from "./rollups";
import type { UsageView } from "./schemas";
import { exportAggregateSql } from "./dashboard";

// CSV exports streamed straight from a server-side cursor: a pull-based
// ReadableStream fetches the next FETCH_ROWS rows only when the client has
// taken the previous ones, so memory stays flat whatever the size of the export
// and a slow or vanished client simply stops the fetching. Each export holds its
// own connection (not one of the pool's, which the gateway needs) and at most
// MAX_CONCURRENT run per instance.

const FETCH_ROWS = 2000;
const MAX_CONCURRENT = 3;
let running = 0;

/** RFC 4180 quoting; text that a spreadsheet would run as a formula is prefixed with an apostrophe. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return String(v);
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvField).join(",")}\r\n`;
}

type CsvSource<R> = { sql: string; params: unknown[]; header: string[]; row: (r: R) => unknown[] };

export function streamCsv<R>(src: CsvSource<R>): ReadableStream<Uint8Array> {
  if (running >= MAX_CONCURRENT) throw new AppError("rate_limit_exceeded", `At most ${MAX_CONCURRENT} exports run at once on an instance; try again shortly`);
  running++;
  const encoder = new TextEncoder();
  let client: pg.Client | undefined;
  let finished = false;
  const finish = async (commit: boolean) => {
    if (finished) return;
    finished = true;
    running--;
    const c = client;
    client = undefined;
    if (!c) return;
    await c.query(commit ? "COMMIT" : "ROLLBACK").catch(() => {});
    await c.end().catch(() => {});
  };
  return new ReadableStream<Uint8Array>(
    {
      async start(controller) {
        try {
          client = new pg.Client({ connectionString: config().DATABASE_URL, application_name: "promptgate-export" });
          client.on("error", () => {});
          await client.connect();
          await client.query("BEGIN READ ONLY");
          await client.query(`DECLARE export_cursor NO SCROLL CURSOR FOR ${src.sql}`, src.params);
          controller.enqueue(encoder.encode(csvLine(src.header)));
        } catch (err) {
          logger.error({ err }, "usage export could not start");
          await finish(false);
          controller.error(err);
        }
      },
      async pull(controller) {
        try {
          const { rows } = await client!.query<R & pg.QueryResultRow>(`FETCH ${FETCH_ROWS} FROM export_cursor`);
          if (rows.length === 0) {
            await finish(true);
            controller.close();
            return;
          }
          let chunk = "";
          for (const r of rows) chunk += csvLine(src.row(r));
          controller.enqueue(encoder.encode(chunk));
        } catch (err) {
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
  createdAt: Date; completionId: string; apiKeyId: string | null; keyName: string | null; endUser: string | null; source: string;
  accountId: string | null; accountName: string | null; provider: string | null; requestedModel: string; servedModel: string | null;
  promptVersionId: string | null; experimentId: string | null; variantId: string | null; inputTokens: number; outputTokens: number;
  cachedTokens: number; costUsd: string; priceKnown: boolean; latencyMs: number; ttftMs: number | null; status: string;
  errorCode: string | null; stream: boolean; attempts: number; metadata: unknown; requestLog?: unknown; responseLog?: unknown;
};

const EVENT_HEADER = [
  "created_at", "completion_id", "api_key_id", "api_key_name", "end_user", "source", "account_id", "account_name", "provider",
  "requested_model", "served_model", "prompt_version_id", "experiment_id", "variant_id", "input_tokens", "output_tokens",
  "cached_tokens", "cost_usd", "price_known", "latency_ms", "ttft_ms", "status", "error_code", "stream", "attempts", "metadata",
];

/**
 * Raw usage events of a view's window and filters, oldest first. Request logs
 * (already redacted) are left out unless `includeLogs` is asked for explicitly;
 * the route allows that to admins only.
 */
export function exportEvents(view: UsageView, now = Date.now(), { includeLogs = false } = {}): { stream: ReadableStream<Uint8Array>; filename: string } {
  const w = resolveWindow(view, now);
  const f = view.filters;
  const params: unknown[] = [w.from, w.to];
  const p = (v: unknown) => (params.push(v), `$${params.length}`);
  const where = [`e."createdAt" >= $1`, `e."createdAt" < $2`];
  if (f.model) where.push(`COALESCE(e."servedModel", e."requestedModel") = ${p(f.model)}`);
  if (f.key) where.push(`COALESCE(e."apiKeyId", '${NIL_UUID}') = ${p(f.key)}::uuid`);
  if (f.account) where.push(`COALESCE(e."accountId", '${NIL_UUID}') = ${p(f.account)}::uuid`);
  if (f.status) where.push(`e.status = ${p(f.status)}`);
  if (f.prompt) where.push(`e."promptVersionId" IN (SELECT id FROM "PromptVersion" WHERE "promptId" = ${p(f.prompt)}::uuid)`);
  const sql = `SELECT e."createdAt", e."completionId", e."apiKeyId", k.name AS "keyName", e."endUser", e.source, e."accountId", a.name AS "accountName",
    e.provider, e."requestedModel", e."servedModel", e."promptVersionId", e."experimentId", e."variantId", e."inputTokens", e."outputTokens",
    e."cachedTokens", e."costUsd"::text AS "costUsd", e."priceKnown", e."latencyMs", e."ttftMs", e.status, e."errorCode", e.stream, e.attempts, e.metadata
    ${includeLogs ? `, l.request AS "requestLog", l.response AS "responseLog"` : ""}
  FROM "UsageEvent" e LEFT JOIN "ApiKey" k ON k.id = e."apiKeyId" LEFT JOIN "ProviderAccount" a ON a.id = e."accountId"
  ${includeLogs ? `LEFT JOIN "RequestLog" l ON l."completionId" = e."completionId" AND l."expiresAt" > now()` : ""}
  WHERE ${where.join(" AND ")} ORDER BY e."createdAt", e.id`;
  const stream = streamCsv<EventRow>({
    sql, params, header: includeLogs ? [...EVENT_HEADER, "request_log", "response_log"] : EVENT_HEADER,
    row: (r) => [
      r.createdAt, r.completionId, r.apiKeyId, r.keyName, r.endUser, r.source, r.accountId, r.accountName, r.provider, r.requestedModel,
      r.servedModel, r.promptVersionId, r.experimentId, r.variantId, r.inputTokens, r.outputTokens, r.cachedTokens, r.costUsd, r.priceKnown,
      r.latencyMs, r.ttftMs, r.status, r.errorCode, r.stream, r.attempts, r.metadata == null ? null : JSON.stringify(r.metadata),
      ...(includeLogs ? [r.requestLog == null ? null : JSON.stringify(r.requestLog), r.responseLog == null ? null : JSON.stringify(r.responseLog)] : []),
    ],
  });
  return { stream, filename: `usage-events_${stamp(w.from)}_${stamp(w.to)}.csv` };
}

type AggregateRow = {
  t: Date; model: string; accountId: string; accountName: string | null; apiKeyId: string; keyName: string | null;
  promptVersionId: string; promptLabel: string | null; variantId: string; status: string; requests: string; errors: string;
  inputTokens: string; outputTokens: string; cachedTokens: string; costUsd: string; latencySumMs: string; latencyCount: string;
  ttftSumMs: string; ttftCount: string; hist: string[];
};

const AGG_HEADER = [
  "bucket_start", "model", "account_id", "account_name", "api_key_id", "api_key_name", "prompt_version_id", "prompt_version",
  "variant_id", "status", "requests", "errors", "input_tokens", "output_tokens", "cached_tokens", "cost_usd", "avg_latency_ms",
  "p50_latency_ms", "p95_latency_ms", "avg_ttft_ms",
];

/** The view's window aggregated per bucket and every dimension (the rollup's grain), filtered like the page. */
export function exportAggregate(view: UsageView, now = Date.now()): { stream: ReadableStream<Uint8Array>; filename: string } {
  const w = resolveWindow(view, now);
  const { sql, params } = exportAggregateSql(segments(w.from.getTime(), w.to.getTime(), w.bucket), w.bucket, view.filters);
  const stream = streamCsv<AggregateRow>({
    sql, params, header: AGG_HEADER,
    row: (r) => {
      const h = (r.hist ?? []).map(Number);
      const lc = Number(r.latencyCount);
      const tc = Number(r.ttftCount);
      return [
        r.t, r.model, nilToNull(r.accountId), r.accountName, nilToNull(r.apiKeyId), r.keyName, nilToNull(r.promptVersionId), r.promptLabel,
        nilToNull(r.variantId), r.status, Number(r.requests), Number(r.errors), Number(r.inputTokens), Number(r.outputTokens),
        Number(r.cachedTokens), r.costUsd, lc ? Math.round(Number(r.latencySumMs) / lc) : null,
        h.length === LATENCY_BUCKETS ? histogramPercentile(h, 50) : null, h.length === LATENCY_BUCKETS ? histogramPercentile(h, 95) : null,
        tc ? Math.round(Number(r.ttftSumMs) / tc) : null,
      ];
    },
  });
  return { stream, filename: `usage-${w.bucket}_${stamp(w.from)}_${stamp(w.to)}.csv` };
}

const stamp = (d: Date) => d.toISOString().slice(0, 16).replace(/[-:]/g, "");
