import "server-only";
import type { PoolClient } from "pg";
import { DEFAULT_WORKSPACE_ID } from "@/lib/core";
import { bucketIndex, emptyHistogram, LATENCY_BUCKETS, LATENCY_THRESHOLDS_SQL } from "./histogram";
import type { PricedUsageEvent } from "./writer";

// Hourly and daily rollups, maintained by the writer's batch hook: the upsert runs in the
// same transaction as the INSERT of the events and sees only the events that
// INSERT actually stored (a retried batch's duplicates are filtered out by the
// writer), so a rollup can neither double-count nor miss an event, however late
// it arrives. Rows are upserted sorted by their key, so concurrent writers lock
// rollup rows in one global order and cannot deadlock each other.

export const NIL_UUID = "00000000-0000-0000-0000-000000000000";
export type Grain = "hour" | "day";
export const ROLLUP_TABLE: Record<Grain, string> = { hour: "UsageRollupHour", day: "UsageRollupDay" };
const GRAIN_MS: Record<Grain, number> = { hour: 3_600_000, day: 86_400_000 };

export type RollupRow = {
  bucket: number;
  model: string;
  accountId: string;
  apiKeyId: string;
  promptVersionId: string;
  variantId: string;
  status: string;
  /** The API surface (chat when the event did not say). */
  surface: string;
  workspaceId: string;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  /** Cost in units of 1e-8 USD, so sums stay exact. */
  costE8: number;
  latencySumMs: number;
  latencyCount: number;
  ttftSumMs: number;
  ttftCount: number;
  /** Empty when latencyCount = 0. */
  latencyBuckets: number[];
};

type RollupSource = Pick<
  PricedUsageEvent,
  "createdAt" | "servedModel" | "requestedModel" | "accountId" | "apiKeyId" | "promptVersionId" | "variantId" | "status" | "surface" | "workspaceId" |
  "inputTokens" | "outputTokens" | "cachedTokens" | "costUsd" | "latencyMs" | "ttftMs"
>;

/** Events folded into one row per (bucket, dimensions); pure. */
export function rollupRows(events: readonly RollupSource[], grain: Grain): RollupRow[] {
  const width = GRAIN_MS[grain];
  const rows = new Map<string, RollupRow>();
  for (const e of events) {
    const bucket = Math.floor(e.createdAt.getTime() / width) * width;
    const model = e.servedModel ?? e.requestedModel;
    const accountId = e.accountId ?? NIL_UUID;
    const apiKeyId = e.apiKeyId ?? NIL_UUID;
    const promptVersionId = e.promptVersionId ?? NIL_UUID;
    const variantId = e.variantId ?? NIL_UUID;
    const surface = e.surface ?? "chat";
    const workspaceId = e.workspaceId ?? DEFAULT_WORKSPACE_ID;
    const key = `${bucket}\u0000${model}\u0000${accountId}\u0000${apiKeyId}\u0000${promptVersionId}\u0000${variantId}\u0000${e.status}\u0000${surface}\u0000${workspaceId}`;
    let r = rows.get(key);
    if (!r) {
      r = {
        bucket, model, accountId, apiKeyId, promptVersionId, variantId, status: e.status, surface, workspaceId,
        requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, costE8: 0,
        latencySumMs: 0, latencyCount: 0, ttftSumMs: 0, ttftCount: 0, latencyBuckets: [],
      };
      rows.set(key, r);
    }
    r.requests++;
    if (e.status !== "ok") r.errors++;
    r.inputTokens += e.inputTokens;
    r.outputTokens += e.outputTokens;
    r.cachedTokens += e.cachedTokens;
    r.costE8 += Math.round(e.costUsd * 1e8);
    if (e.status === "ok") {
      r.latencySumMs += e.latencyMs;
      r.latencyCount++;
      if (r.latencyBuckets.length === 0) r.latencyBuckets = emptyHistogram();
      r.latencyBuckets[bucketIndex(e.latencyMs)]!++;
    }
    if (e.ttftMs !== null && e.ttftMs !== undefined) {
      r.ttftSumMs += e.ttftMs;
      r.ttftCount++;
    }
  }
  return [...rows.values()];
}

/** Folds hourly rows into daily rows (same measures, coarser bucket). */
export function coarsen(rows: readonly RollupRow[], grain: Grain): RollupRow[] {
  const width = GRAIN_MS[grain];
  const out = new Map<string, RollupRow>();
  for (const h of rows) {
    const bucket = Math.floor(h.bucket / width) * width;
    const key = `${bucket}\u0000${h.model}\u0000${h.accountId}\u0000${h.apiKeyId}\u0000${h.promptVersionId}\u0000${h.variantId}\u0000${h.status}\u0000${h.surface}\u0000${h.workspaceId}`;
    const r = out.get(key);
    if (!r) {
      out.set(key, { ...h, bucket, latencyBuckets: [...h.latencyBuckets] });
      continue;
    }
    r.requests += h.requests;
    r.errors += h.errors;
    r.inputTokens += h.inputTokens;
    r.outputTokens += h.outputTokens;
    r.cachedTokens += h.cachedTokens;
    r.costE8 += h.costE8;
    r.latencySumMs += h.latencySumMs;
    r.latencyCount += h.latencyCount;
    r.ttftSumMs += h.ttftSumMs;
    r.ttftCount += h.ttftCount;
    if (h.latencyBuckets.length) {
      if (r.latencyBuckets.length === 0) r.latencyBuckets = emptyHistogram();
      for (let i = 0; i < LATENCY_BUCKETS; i++) r.latencyBuckets[i]! += h.latencyBuckets[i]!;
    }
  }
  return [...out.values()];
}

/** Exact decimal text of a cost held in units of 1e-8 USD. */
export function e8ToDecimal(units: number): string {
  const neg = units < 0;
  const s = String(Math.abs(Math.round(units))).padStart(9, "0");
  return `${neg ? "-" : ""}${s.slice(0, -8)}.${s.slice(-8)}`;
}

const KEY = `"bucket", "model", "accountId", "apiKeyId", "promptVersionId", "variantId", "status", "surface", "workspaceId"`;
const SUMMED = ["requests", "errors", "inputTokens", "outputTokens", "cachedTokens", "costUsd", "latencySumMs", "latencyCount", "ttftSumMs", "ttftCount"];

function upsertSql(table: string): string {
  return `INSERT INTO "${table}" AS t (${KEY}, ${SUMMED.map((c) => `"${c}"`).join(", ")}, "latencyBuckets")
SELECT b, m, a, k, p, v, s, sf, w, r, e, i, o, c, cost, ls, lc, ts, tc, h::int4[]
  FROM unnest($1::timestamptz[], $2::text[], $3::uuid[], $4::uuid[], $5::uuid[], $6::uuid[], $7::text[], $8::text[], $20::uuid[],
              $9::int4[], $10::int4[], $11::int8[], $12::int8[], $13::int8[], $14::numeric[], $15::int8[], $16::int4[],
              $17::int8[], $18::int4[], $19::text[]) AS u(b, m, a, k, p, v, s, sf, w, r, e, i, o, c, cost, ls, lc, ts, tc, h)
 ORDER BY b, m, a, k, p, v, s, sf, w
ON CONFLICT (${KEY}) DO UPDATE SET
${SUMMED.map((c) => `  "${c}" = t."${c}" + EXCLUDED."${c}"`).join(",\n")},
  "latencyBuckets" = CASE
    WHEN cardinality(EXCLUDED."latencyBuckets") = 0 THEN t."latencyBuckets"
    WHEN cardinality(t."latencyBuckets") = 0 THEN EXCLUDED."latencyBuckets"
    ELSE ARRAY(SELECT x + y FROM unnest(t."latencyBuckets", EXCLUDED."latencyBuckets") WITH ORDINALITY AS z(x, y, n) ORDER BY n)
  END`;
}

/** Every rollup column, in table order (what rollupFromEventsSql selects). */
export const ROLLUP_COLUMNS = `${KEY}, ${SUMMED.map((c) => `"${c}"`).join(", ")}, "latencyBuckets"`;

const UPSERT: Record<Grain, string> = { hour: upsertSql(ROLLUP_TABLE.hour), day: upsertSql(ROLLUP_TABLE.day) };

async function upsert(client: Pick<PoolClient, "query">, grain: Grain, rows: readonly RollupRow[]): Promise<void> {
  if (rows.length === 0) return;
  const cols: unknown[][] = Array.from({ length: 20 }, () => []);
  for (const r of rows) {
    const v = [
      new Date(r.bucket), r.model, r.accountId, r.apiKeyId, r.promptVersionId, r.variantId, r.status, r.surface,
      r.requests, r.errors, r.inputTokens, r.outputTokens, r.cachedTokens, e8ToDecimal(r.costE8),
      r.latencySumMs, r.latencyCount, r.ttftSumMs, r.ttftCount, `{${r.latencyBuckets.join(",")}}`, r.workspaceId,
    ];
    for (let i = 0; i < v.length; i++) cols[i]!.push(v[i]);
  }
  await client.query(UPSERT[grain], cols);
}

/**
 * Adds `events` to both rollups. Call it inside the transaction that inserted
 * exactly these events (the writer's batch hook does); the bench seeds the
 * same way.
 */
export async function applyRollups(client: Pick<PoolClient, "query">, events: readonly RollupSource[]): Promise<void> {
  if (events.length === 0) return;
  const hourly = rollupRows(events, "hour");
  await upsert(client, "hour", hourly);
  await upsert(client, "day", coarsen(hourly, "day"));
}

/** The writer's batch hook (registered by writer.ts itself, so no writer runs without it). */
export function rollupHook(client: Pick<PoolClient, "query">, batch: readonly PricedUsageEvent[]): Promise<void> {
  // One event per completion id, even if a batch ever carried one twice (the INSERT stores it once).
  const seen = new Set<string>();
  return applyRollups(client, batch.filter((e) => (seen.has(e.completionId) ? false : (seen.add(e.completionId), true))));
}

/**
 * The rollup of the stored events in [from, to) at one grain, computed by SQL
 * from UsageEvent alone. Used to rebuild a range (rebuildRollups) and, in the
 * same form, by the migration's backfill; `from`/`to` must be grain-aligned.
 */
export function rollupFromEventsSql(grain: Grain): string {
  const dims = `bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status, surface, "workspaceId"`;
  return `WITH e AS (
  SELECT date_trunc('${grain}', "createdAt", 'UTC') AS bucket, COALESCE("servedModel", "requestedModel") AS model,
         COALESCE("accountId", '${NIL_UUID}') AS "accountId", COALESCE("apiKeyId", '${NIL_UUID}') AS "apiKeyId",
         COALESCE("promptVersionId", '${NIL_UUID}') AS "promptVersionId", COALESCE("variantId", '${NIL_UUID}') AS "variantId",
         status, surface, "workspaceId", "inputTokens", "outputTokens", "cachedTokens", "costUsd", "latencyMs", "ttftMs"
    FROM "UsageEvent" WHERE "createdAt" >= $1 AND "createdAt" < $2
), g AS (
  SELECT ${dims}, count(*)::int4 AS requests, (count(*) FILTER (WHERE status <> 'ok'))::int4 AS errors,
         sum("inputTokens")::int8 AS "inputTokens", sum("outputTokens")::int8 AS "outputTokens", sum("cachedTokens")::int8 AS "cachedTokens",
         sum("costUsd") AS "costUsd", COALESCE(sum("latencyMs") FILTER (WHERE status = 'ok'), 0)::int8 AS "latencySumMs",
         (count(*) FILTER (WHERE status = 'ok'))::int4 AS "latencyCount", COALESCE(sum("ttftMs"), 0)::int8 AS "ttftSumMs", count("ttftMs")::int4 AS "ttftCount"
    FROM e GROUP BY ${dims}
), h AS (
  SELECT ${dims}, jsonb_object_agg(i, n) AS hist
    FROM (SELECT ${dims}, width_bucket("latencyMs", ${LATENCY_THRESHOLDS_SQL}) AS i, count(*) AS n FROM e WHERE status = 'ok' GROUP BY ${dims}, i) x
   GROUP BY ${dims}
)
SELECT g.*, CASE WHEN h.hist IS NULL THEN '{}'::int4[]
                 ELSE ARRAY(SELECT COALESCE((h.hist ->> s::text)::int4, 0) FROM generate_series(0, ${LATENCY_BUCKETS - 1}) s ORDER BY s) END AS "latencyBuckets"
  FROM g LEFT JOIN h USING (${dims})`;
}

/**
 * Recomputes both rollups for [from, to) from the stored events (repair, or
 * after deleting events). Locks the rollup tables so that writers wait: their
 * events are either already visible to the rebuild or added after it.
 */
export async function rebuildRollups(client: PoolClient, from: Date, to: Date): Promise<void> {
  const day = 86_400_000;
  const start = new Date(Math.floor(from.getTime() / day) * day);
  const end = new Date(Math.ceil(to.getTime() / day) * day);
  await client.query("BEGIN");
  try {
    await client.query(`LOCK TABLE "${ROLLUP_TABLE.hour}", "${ROLLUP_TABLE.day}" IN EXCLUSIVE MODE`);
    for (const grain of ["hour", "day"] as const) {
      await client.query(`DELETE FROM "${ROLLUP_TABLE[grain]}" WHERE bucket >= $1 AND bucket < $2`, [start, end]);
      await client.query(`INSERT INTO "${ROLLUP_TABLE[grain]}" (${ROLLUP_COLUMNS}) ${rollupFromEventsSql(grain)}`, [start, end]);
    }
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  }
}
