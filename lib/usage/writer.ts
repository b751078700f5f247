import "server-only";
import { config } from "@/lib/config";
import { DEFAULT_WORKSPACE_ID } from "@/lib/core";
import type { PoolClient } from "pg";
import { isDatabaseUnreachable, noteUnreachable, onDatabaseBack, pool, storableDeep, storableText } from "@/lib/db";
import { logger, recordUsageFlush, recordUsageRefused } from "@/lib/observability";
import { costOf, loadPrices, priceFor } from "@/lib/pricing";
import { rollupHook } from "./rollups";
import type { SURFACES, UsageMetadata } from "./schemas";

// Usage events leave the request path at once: they are queued in memory and
// written in batches (one multi-row INSERT) every FLUSH_MS or every BATCH_MAX
// events. A crash loses at most one flush interval; a failed write is retried
// with the batch kept in order, and `flushUsage()` drains everything on shutdown.
// While the database is unreachable the queue only grows (in memory, in order;
// QUEUE_WARN logs once it is large): nothing is dropped, and the first answer
// from the database after the outage starts a flush at once instead of waiting
// out the backoff (faults #14.3).

/** The API surface a call came in on: chat, messages, responses, embeddings or completion. */
export type UsageSurface = (typeof SURFACES)[number];

/**
 * ok, client_aborted, upstream_error; rejected (refused: quota, scope, validation); error (cut at
 * shutdown); unavailable (refused with 503 because the database it needed could not be reached).
 */
export type UsageStatus = "ok" | "client_aborted" | "upstream_error" | "rejected" | "error" | "unavailable";

export type UsageEventInput = {
  completionId: string;
  createdAt: Date;
  apiKeyId: string | null;
  endUser: string | null;
  source?: string;
  /** The API surface: chat (default), messages, responses, embeddings or completion. */
  surface?: UsageSurface;
  /** The key's workspace (the console user's for the playground); Default when absent. */
  workspaceId?: string;
  accountId: string | null;
  provider: string | null;
  requestedModel: string;
  servedModel: string | null;
  promptVersionId?: string | null;
  /** The prompts the template included, at the versions used; null when it included none. */
  promptIncludes?: { prompt: string; version: number; label: string | null }[] | null;
  experimentId?: string | null;
  variantId?: string | null;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  latencyMs: number;
  ttftMs: number | null;
  status: UsageStatus;
  errorCode: string | null;
  stream: boolean;
  attempts: number;
  /** Served from the response cache: no upstream call, so cost 0 (default false). */
  cached?: boolean;
  /** The caller's tags (usageMetadata in lib/usage/schemas.ts); null without any. */
  metadata?: UsageMetadata | null;
  /**
   * Redacted request/response for keys that opted into logging (lib/filters), stored in the same
   * transaction. `status` is the HTTP status the client got, or for a stream that failed after its
   * 200 headers, the status its error event stands for.
   */
  log?: { retentionDays: number; status: number; request: unknown; response: unknown };
  /** The quota reservation this call holds (lib/quota), settled in the same transaction as the event. */
  reservation?: UsageReservation | null;
};

/**
 * A quota reservation as it travels on a usage event: what admission held, per
 * counter, for the settlement step to release (lib/quota owns its meaning).
 */
export type UsageReservation = {
  kind: "quota-reservation";
  id: string;
  /** Admitted fail-open while the database was unreachable: nothing held, the usage is counted at settlement. */
  unreserved?: true;
  counters: { policyId: string; subject: string; period: "minute" | "day" | "month"; windowStart: string; tokens: number; spend: number }[];
};

/** Runs inside the batch's transaction, after the events are inserted (rollups, quota settlement). */
export type BatchHook = (client: PoolClient, batch: readonly PricedUsageEvent[]) => Promise<void>;
export type PricedUsageEvent = UsageEventInput & { costUsd: number; priceKnown: boolean };

// The settlement steps that run in each batch's transaction, in order, set once
// at start by lib/gateway/settle.ts (the one visible list of what follows a
// call). The rollups are not a step: they belong to writing usage itself, so
// whoever writes events (the gateway, a seed, a script) maintains them.
// On globalThis, like the queue: a bundler may load this module twice (server
// layers), and every copy must see the steps, or a flush could skip settlement.
const gh = globalThis as typeof globalThis & { __pgUsageSteps?: { steps: readonly (readonly [string, BatchHook])[] } };
const settlement = (gh.__pgUsageSteps ??= { steps: [] });

/** Sets the settlement steps every batch runs after inserting its events (replacing any set before). */
export function setSettlementSteps(steps: readonly (readonly [string, BatchHook])[]): void {
  settlement.steps = steps;
}

/** The names of the settlement steps in force, in order (for tests and diagnostics). */
export function settlementSteps(): string[] {
  return settlement.steps.map(([name]) => name);
}

const FLUSH_MS = () => config().USAGE_FLUSH_MS;
const BATCH_MAX = 500;
const QUEUE_WARN = 50_000;

type State = { queue: UsageEventInput[]; timer?: NodeJS.Timeout; flushing?: Promise<void>; failures: number; watching?: boolean };
const g = globalThis as typeof globalThis & { __pgUsage?: State };
const state: State = (g.__pgUsage ??= { queue: [], failures: 0 });

function watchForRecovery(): void {
  if (state.watching) return;
  state.watching = true;
  onDatabaseBack(() => {
    if (!state.failures || !state.queue.length) return;
    // Back: what waited through the outage goes now, not after the backoff.
    state.failures = 0;
    flushSoon(0);
  });
}

export function recordUsage(e: UsageEventInput): void {
  state.queue.push(e);
  if (state.queue.length === QUEUE_WARN) logger.error({ queued: QUEUE_WARN }, "usage writer is falling behind the database");
  if (state.queue.length >= BATCH_MAX) void flushSoon(0);
  else void flushSoon(FLUSH_MS());
}

export function pendingUsage(): number {
  return state.queue.length;
}

/** Writes one batch of what is queued now rather than at the next interval (quota calls waiting for settlements). */
export function flushUsageNow(): void {
  if (state.queue.length) flushSoon(0);
}

function flushSoon(delay: number) {
  if (state.timer && delay > 0) return;
  if (state.timer) clearTimeout(state.timer);
  state.timer = setTimeout(() => {
    state.timer = undefined;
    void flushOnce();
  }, delay);
  state.timer.unref?.();
}

async function flushOnce(): Promise<void> {
  if (state.flushing) return state.flushing;
  if (state.queue.length === 0) return;
  state.flushing = (async () => {
    const batch = state.queue.splice(0, BATCH_MAX);
    const t = performance.now();
    try {
      const written = await writeIsolating(batch);
      recordUsageFlush("ok", performance.now() - t, written);
      state.failures = 0;
    } catch (err) {
      recordUsageFlush("failed", performance.now() - t);
      // Keep the events, in order, and try again with backoff; never drop them silently.
      state.queue.unshift(...batch);
      state.failures++;
      if (isDatabaseUnreachable(err)) {
        noteUnreachable();
        watchForRecovery();
      }
      logger.error({ err, queued: state.queue.length, attempt: state.failures }, "usage batch write failed; will retry");
    } finally {
      state.flushing = undefined;
    }
    // Full batches go at once; a partial one waits for the interval, so steady traffic makes big batches.
    if (state.queue.length) flushSoon(state.failures ? Math.min(30_000, 250 * 2 ** state.failures) : state.queue.length >= BATCH_MAX ? 0 : FLUSH_MS());
  })();
  return state.flushing;
}

// Postgres refusing an event's *data* (SQLSTATE class 22: a value it cannot
// store) would fail its batch on every retry and hold up every event behind it.
// Such a batch is split until the refused event stands alone; the others are
// written, and that one is logged with its completion id and counted
// (promptgate_usage_events_refused_total), never dropped silently. Anything else
// (connection, deadlock) fails the batch as a whole, to be retried.
const isDataError = (err: unknown) => typeof (err as { code?: unknown })?.code === "string" && (err as { code: string }).code.startsWith("22");

async function writeIsolating(batch: UsageEventInput[]): Promise<PricedUsageEvent[]> {
  try {
    return await writeBatch(batch);
  } catch (err) {
    if (!isDataError(err)) throw err;
    if (batch.length === 1) {
      recordUsageRefused();
      logger.error({ completionId: batch[0]!.completionId, err }, "usage event refused by the database; the rest of its batch was written");
      return [];
    }
    const mid = batch.length >> 1;
    return [...(await writeIsolating(batch.slice(0, mid))), ...(await writeIsolating(batch.slice(mid)))];
  }
}

/** Writes everything queued so far (shutdown, tests). Throws if the database keeps failing. */
export async function flushUsage(timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (state.queue.length || state.flushing) {
    if (Date.now() > deadline) throw new Error(`usage flush timed out with ${state.queue.length} events queued`);
    if (state.flushing) await state.flushing;
    else await flushOnce();
    if (state.failures && state.queue.length) await new Promise((r) => setTimeout(r, 100));
  }
}

const storable = (s: string | null | undefined) => (s == null ? null : storableText(s));

const COLUMNS = [
  ["completionId", "text"], ["createdAt", "timestamptz"], ["apiKeyId", "uuid"], ["endUser", "text"], ["source", "text"], ["surface", "text"],
  ["accountId", "uuid"], ["provider", "text"], ["requestedModel", "text"], ["servedModel", "text"],
  ["promptVersionId", "uuid"], ["experimentId", "uuid"], ["variantId", "uuid"],
  ["inputTokens", "int4"], ["outputTokens", "int4"], ["cachedTokens", "int4"], ["costUsd", "numeric"], ["priceKnown", "bool"],
  ["latencyMs", "int4"], ["ttftMs", "int4"], ["status", "text"], ["errorCode", "text"], ["stream", "bool"], ["attempts", "int4"],
  ["cached", "bool"], ["metadata", "jsonb"], ["workspaceId", "uuid"], ["promptIncludes", "jsonb"],
] as const;

// What each column of the unnest() arrays holds, chosen once per column rather than per event.
const COLUMN_VALUES: ((p: PricedUsageEvent) => unknown)[] = COLUMNS.map(([c]) => {
  if (c === "costUsd") return (p) => p.costUsd.toFixed(8);
  if (c === "source") return (p) => p.source ?? "api";
  if (c === "surface") return (p) => p.surface ?? "chat";
  if (c === "cached") return (p) => p.cached ?? false;
  if (c === "workspaceId") return (p) => p.workspaceId ?? DEFAULT_WORKSPACE_ID;
  if (c === "metadata") return (p) => (p.metadata ? JSON.stringify(p.metadata) : null);
  if (c === "promptIncludes") return (p) => (p.promptIncludes?.length ? JSON.stringify(p.promptIncludes) : null);
  return (p) => (p as unknown as Record<string, unknown>)[c] ?? null;
});

const INSERT_SQL = `INSERT INTO "UsageEvent" (${COLUMNS.map(([c]) => `"${c}"`).join(", ")})
SELECT * FROM unnest(${COLUMNS.map(([, t], i) => `$${i + 1}::${t}[]`).join(", ")})
ON CONFLICT ("completionId") DO NOTHING
RETURNING "completionId"`;

/** Prices and writes one batch now, hooks included; exported for concurrent-writer tests and seeding. */
export async function writeBatch(batch: UsageEventInput[]): Promise<PricedUsageEvent[]> {
  await loadPrices();
  const cols: unknown[][] = COLUMNS.map(() => []);
  const priced: PricedUsageEvent[] = [];
  for (const e of batch) {
    const at = e.createdAt.getTime();
    const price = priceFor(e.servedModel ?? e.requestedModel, at) ?? priceFor(e.requestedModel, at);
    const p: PricedUsageEvent = {
      ...e,
      // The fields that carry a client's text, as stored: the hooks (rollups, exposures) see the same values.
      endUser: storable(e.endUser),
      requestedModel: storableText(e.requestedModel),
      servedModel: storable(e.servedModel),
      errorCode: storable(e.errorCode),
      metadata: e.metadata ? storableDeep(e.metadata) : null,
      costUsd: price && !e.cached ? costOf(price, e) : 0,
      priceKnown: price !== null,
    };
    priced.push(p);
    for (let i = 0; i < COLUMN_VALUES.length; i++) cols[i]!.push(COLUMN_VALUES[i]!(p));
  }
  // Events and everything derived from them (rollups, quota settlement) commit together or not at all.
  const client = await pool().connect();
  try {
    await client.query("BEGIN");
    const { rows } = await client.query<{ completionId: string }>(INSERT_SQL, cols);
    // A retried batch may hold events that are already stored: derive only from the new ones.
    const inserted = new Set(rows.map((r) => r.completionId));
    const fresh = inserted.size === priced.length ? priced : priced.filter((e) => inserted.has(e.completionId));
    for (const [, step] of settlement.steps) await step(client, fresh);
    await rollupHook(client, fresh);
    await client.query("COMMIT");
    return fresh;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
