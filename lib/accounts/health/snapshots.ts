import "server-only";
import { config } from "@/lib/config";
import { onInvalidate, pool } from "@/lib/db";
import { logger, onShutdown } from "@/lib/observability";
import type { BatchHook } from "@/lib/usage";
import type { CircuitView } from "./circuit";
import { recordTokens, resetAccountHealth } from "./outcomes";
import { allRuntimes, drainEvents, instanceId, requeueEvents, type AccountRuntime, type ErrorInfo } from "./state";
import { localHealth, seedFrom, type SeedSnapshot } from "./views";
import { probeTick } from "./probes";

// The only place account health touches the database. Every SNAPSHOT_MS each
// instance writes, in a few multi-row statements: one snapshot row per account
// (replacing its previous one), the per-minute counters touched since, and the
// buffered health events. The console combines the rows of every live instance;
// a new instance seeds itself from the latest rows of the others.

const SNAPSHOT_MS = () => config().ACCOUNT_SNAPSHOT_MS;
const PROBE_TICK_MS = () => config().ACCOUNT_PROBE_TICK_MS;
const SEED_MAX_AGE_MS = 10 * 60_000;
const PRUNE_EVERY_MS = 10 * 60_000;
const SEED_WAIT_MS = 3_000;

type Timers = { started: boolean; snapshot?: NodeJS.Timeout; probes?: NodeJS.Timeout; writing?: Promise<void>; lastPrune: number };
const g = globalThis as typeof globalThis & { __pgHealthTimers?: Timers };
const timers: Timers = (g.__pgHealthTimers ??= { started: false, lastPrune: 0 });

const iso = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : null);

/** Writes this instance's snapshot, minute counters and events now. */
export function writeHealthSnapshot(): Promise<void> {
  timers.writing ??= write().finally(() => {
    timers.writing = undefined;
  });
  return timers.writing;
}

async function write(): Promise<void> {
  const now = Date.now();
  const me = instanceId();
  const snapshots: Record<string, unknown>[] = [];
  const minutes: Record<string, unknown>[] = [];
  const finished: { rt: AccountRuntime; minute: number }[] = [];
  for (const rt of allRuntimes()) {
    const h = localHealth(rt, now);
    snapshots.push({
      instanceId: me, accountId: rt.id, takenAt: iso(now), status: h.status, inFlight: h.inFlight,
      consecutiveFailures: h.consecutiveFailures, cooldownUntil: iso(h.cooldownUntil), ewmaLatencyMs: h.ewmaLatencyMs, ewmaTtftMs: h.ewmaTtftMs,
      probeHealthy: h.probe.healthy, lastProbeAt: iso(h.probe.at), lastProbeMessage: h.probe.message,
      lastErrorAt: iso(h.lastError?.at), lastErrorCode: h.lastError?.code ?? null, lastErrorMessage: h.lastError?.message ?? null,
      circuits: h.circuits, rateLimit: { ...h.rate, reason: h.reason, lastErrorStatus: h.lastError?.status ?? null, lastErrorModel: h.lastError?.model ?? null },
    });
    for (const m of rt.minutes.values()) {
      minutes.push({ instanceId: me, accountId: rt.id, ...m, minute: iso(m.minute) });
      if (m.minute + 60_000 <= now) finished.push({ rt, minute: m.minute });
    }
  }
  const events = drainEvents();
  try {
    if (snapshots.length) {
      await pool().query(
        `INSERT INTO "AccountHealthSnapshot"
         SELECT * FROM json_populate_recordset(NULL::"AccountHealthSnapshot", $1::json)
         ON CONFLICT ("instanceId", "accountId") DO UPDATE SET
           "takenAt" = EXCLUDED."takenAt", status = EXCLUDED.status, "inFlight" = EXCLUDED."inFlight",
           "consecutiveFailures" = EXCLUDED."consecutiveFailures", "cooldownUntil" = EXCLUDED."cooldownUntil",
           "ewmaLatencyMs" = EXCLUDED."ewmaLatencyMs", "ewmaTtftMs" = EXCLUDED."ewmaTtftMs", "probeHealthy" = EXCLUDED."probeHealthy",
           "lastProbeAt" = EXCLUDED."lastProbeAt", "lastProbeMessage" = EXCLUDED."lastProbeMessage", "lastErrorAt" = EXCLUDED."lastErrorAt",
           "lastErrorCode" = EXCLUDED."lastErrorCode", "lastErrorMessage" = EXCLUDED."lastErrorMessage",
           circuits = EXCLUDED.circuits, "rateLimit" = EXCLUDED."rateLimit"`,
        [JSON.stringify(snapshots)],
      );
    }
    if (minutes.length) {
      // Absolute values: a minute's counters only grow in memory, so the last write wins.
      await pool().query(
        `INSERT INTO "AccountHealthMinute"
         SELECT * FROM json_populate_recordset(NULL::"AccountHealthMinute", $1::json)
         ON CONFLICT ("instanceId", "accountId", minute) DO UPDATE SET
           requests = EXCLUDED.requests, failures = EXCLUDED.failures, "rateLimited" = EXCLUDED."rateLimited",
           successes = EXCLUDED.successes, "latencySumMs" = EXCLUDED."latencySumMs", "latencyHist" = EXCLUDED."latencyHist",
           "ttftCount" = EXCLUDED."ttftCount", "ttftHist" = EXCLUDED."ttftHist",
           "inputTokens" = EXCLUDED."inputTokens", "outputTokens" = EXCLUDED."outputTokens"`,
        [JSON.stringify(minutes)],
      );
    }
    if (events.length) {
      // Circuit transitions are also domain events (lib/events): the outbox rows are written by the same
      // statement as the health events, so both are stored or neither is. Each instance keeps its own
      // circuits, so each instance that sees an account's circuit open tells it once.
      await pool().query(
        `WITH e AS (
           INSERT INTO "AccountHealthEvent" ("accountId", "instanceId", at, kind, model, detail)
           SELECT "accountId", "instanceId", at, kind, model, detail
             FROM json_to_recordset($1::json) AS e("accountId" uuid, "instanceId" text, at timestamptz, kind text, model text, detail text)
           RETURNING "accountId", "instanceId", at, kind, model, detail
         )
         INSERT INTO "OutboxEvent" (type, "workspaceId", data)
         SELECT CASE e.kind WHEN 'circuit_open' THEN 'account.circuit_opened' ELSE 'account.circuit_closed' END, NULL,
                jsonb_build_object('accountId', e."accountId", 'accountName', a.name, 'model', e.model, 'detail', e.detail,
                                   'instanceId', e."instanceId", 'at', to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
           FROM e LEFT JOIN "ProviderAccount" a ON a.id = e."accountId"
          WHERE e.kind IN ('circuit_open', 'circuit_closed')`,
        [JSON.stringify(events.map((e) => ({ ...e, instanceId: me, at: iso(e.at) })))],
      );
    }
  } catch (err) {
    requeueEvents(events);
    throw err;
  }
  // A minute that ended before this write started is final and stored: forget it.
  for (const f of finished) f.rt.minutes.delete(f.minute);
  if (now - timers.lastPrune > PRUNE_EVERY_MS) {
    timers.lastPrune = now;
    await prune().catch((err: unknown) => logger.warn({ err }, "account health prune failed"));
  }
}

async function prune(): Promise<void> {
  await pool().query(`DELETE FROM "AccountHealthSnapshot" WHERE "takenAt" < now() - interval '1 day'`);
  await pool().query(`DELETE FROM "AccountHealthMinute" WHERE minute < now() - interval '25 hours'`);
  await pool().query(`DELETE FROM "AccountHealthEvent" WHERE at < now() - interval '7 days'`);
}

type SnapshotRow = {
  instanceId: string;
  accountId: string;
  takenAt: Date;
  status: string;
  inFlight: number;
  consecutiveFailures: number;
  cooldownUntil: Date | null;
  ewmaLatencyMs: number | null;
  ewmaTtftMs: number | null;
  probeHealthy: boolean | null;
  lastProbeAt: Date | null;
  lastProbeMessage: string | null;
  lastErrorAt: Date | null;
  lastErrorCode: string | null;
  lastErrorMessage: string | null;
  circuits: CircuitView[];
  rateLimit: Record<string, unknown>;
};

/** Snapshot rows taken within maxAgeMs, every instance's (this one's included unless excluded). */
export async function readSnapshots(maxAgeMs: number, excludeInstance?: string): Promise<SnapshotRow[]> {
  const { rows } = await pool().query<SnapshotRow>(
    `SELECT * FROM "AccountHealthSnapshot" WHERE "takenAt" > now() - make_interval(secs => $1::float8 / 1000) AND ($2::text IS NULL OR "instanceId" <> $2::text)`,
    [maxAgeMs, excludeInstance ?? null],
  );
  return rows;
}

export function errorOf(r: SnapshotRow): ErrorInfo | null {
  if (!r.lastErrorAt) return null;
  const rl = r.rateLimit ?? {};
  return {
    at: r.lastErrorAt.getTime(), code: r.lastErrorCode ?? "error", message: r.lastErrorMessage ?? "",
    status: typeof rl.lastErrorStatus === "number" ? rl.lastErrorStatus : 0, model: typeof rl.lastErrorModel === "string" ? rl.lastErrorModel : null,
  };
}

/** Seeds this instance from the others' latest snapshots; returns how many circuits were opened. */
export async function seedFromCluster(): Promise<number> {
  const rows = await readSnapshots(SEED_MAX_AGE_MS, instanceId());
  const seeds: SeedSnapshot[] = rows.map((r) => ({
    accountId: r.accountId, cooldownUntil: r.cooldownUntil?.getTime() ?? null, ewmaLatencyMs: r.ewmaLatencyMs, ewmaTtftMs: r.ewmaTtftMs,
    circuits: r.circuits ?? [], lastError: errorOf(r),
  }));
  return seedFrom(seeds);
}

export const snapshotIntervalMs = SNAPSHOT_MS;

/** Settlement step (lib/gateway/settle.ts): counts each batch's tokens per account for the health and balancing views. */
export const countAccountTokens: BatchHook = async (_client, batch) => {
  for (const e of batch) if (e.accountId && e.status === "ok") recordTokens(e.accountId, e.inputTokens, e.outputTokens);
};

/**
 * Starts the background work of account health in this process (idempotent):
 * seeding from the cluster, the snapshot writer, the probe scheduler, the
 * token counter on usage batches, cluster-wide admin resets and a final
 * snapshot at shutdown. Called from instrumentation.ts; resolves once seeded
 * (or after SEED_WAIT_MS).
 */
export function startAccountHealth(): Promise<void> {
  if (timers.started) return Promise.resolve();
  timers.started = true;
  onInvalidate("account-health", (payload) => {
    const [verb, id] = payload.split(":");
    if (verb === "reset" && id) resetAccountHealth(id);
  });
  const seeded = seedFromCluster()
    .then((n) => {
      if (n) logger.info({ circuits: n }, "account health seeded from the cluster's snapshots");
    })
    .catch((err: unknown) => logger.warn({ err }, "could not seed account health from snapshots"));
  timers.snapshot = setInterval(() => {
    writeHealthSnapshot().catch((err: unknown) => logger.warn({ err }, "account health snapshot failed"));
  }, SNAPSHOT_MS());
  timers.snapshot.unref();
  timers.probes = setInterval(() => {
    probeTick().catch((err: unknown) => logger.warn({ err }, "account probe tick failed"));
  }, PROBE_TICK_MS());
  timers.probes.unref();
  onShutdown("account-health", async () => {
    clearInterval(timers.snapshot);
    clearInterval(timers.probes);
    await writeHealthSnapshot();
  }, 15);
  // Serve with what the cluster knows, but never hold start-up for long on a slow database.
  return Promise.race([seeded, new Promise<void>((r) => setTimeout(r, SEED_WAIT_MS).unref())]);
}
