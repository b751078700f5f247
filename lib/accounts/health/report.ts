import "server-only";
import { db, isUuid, pool } from "@/lib/db";
import { notFound } from "@/lib/core";
import type { CircuitState, CircuitView } from "./circuit";
import { ACCOUNT_WIDE, instanceId } from "./state";
import { STATUS_RANK, type AccountStatus } from "./views";
import { addInto, BUCKETS, emptyHistogram, quantile } from "./histogram";
import { getRoutingSettings } from "../routing-settings";
import { errorOf, readSnapshots, snapshotIntervalMs, writeHealthSnapshot } from "./snapshots";
import type { RoutingStrategy } from "../schemas";

// Cluster-wide account health for the console and GET /api/admin/accounts/health.
// This instance first writes its own snapshot, then everything is read back
// from Postgres: the live snapshot rows of every instance (combined: the worst
// status and circuit win, in-flight counts and rates add up) and the
// per-minute counters (windows, percentiles, sparklines).

export type HealthWindow = { requests: number; errors: number; errorRate: number | null };
export type SparkPoint = { t: string; requests: number; errors: number; latencyMs: number | null };
export type CircuitSummary = {
  model: string;
  state: CircuitState;
  nextRetryAt: string | null;
  openedAt: string | null;
  trips: number;
  consecutiveFailures: number;
  reason: string | null;
  windowRequests: number;
  windowFailures: number;
};

export type AccountHealth = {
  id: string;
  name: string;
  provider: string;
  enabled: boolean;
  draining: boolean;
  weight: number;
  priority: number;
  probeMode: string;
  status: AccountStatus;
  reason: string | null;
  instances: { instanceId: string; status: string; takenAt: string; current: boolean }[];
  circuit: CircuitSummary | null;
  circuits: CircuitSummary[];
  inFlight: number;
  consecutiveFailures: number;
  cooldownUntil: string | null;
  windows: { "5m": HealthWindow; "1h": HealthWindow; "24h": HealthWindow };
  latency: { p50: number | null; p95: number | null; ttftP50: number | null; ewmaMs: number | null };
  rate: { rpm: number; tpm: number; rpmLimit: number | null; tpmLimit: number | null; limitSource: { rpm: string | null; tpm: string | null } };
  lastError: { at: string; code: string; message: string; model: string | null } | null;
  probe: { healthy: boolean | null; at: string | null; message: string | null };
  sparkline: SparkPoint[];
};

export type HealthReport = { generatedAt: string; instances: string[]; strategy: RoutingStrategy; snapshotIntervalMs: number; accounts: AccountHealth[] };

const STATE_RANK: Record<CircuitState, number> = { open: 0, half_open: 1, closed: 2 };
const SPARK_BIN_MIN = 30;
const SPARK_BINS = (24 * 60) / SPARK_BIN_MIN;

const iso = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : null);
const win = (requests: number, errors: number): HealthWindow => ({ requests, errors, errorRate: requests ? errors / requests : null });

function mergeCircuits(lists: CircuitView[][]): CircuitSummary[] {
  const by = new Map<string, CircuitView & { n: number }>();
  for (const list of lists) {
    for (const c of list) {
      const prev = by.get(c.model);
      if (!prev) {
        by.set(c.model, { ...c, n: 1 });
        continue;
      }
      const worse = STATE_RANK[c.state] < STATE_RANK[prev.state];
      by.set(c.model, {
        ...prev,
        state: worse ? c.state : prev.state,
        reason: worse ? c.reason : prev.reason,
        openedAt: worse ? c.openedAt : prev.openedAt,
        nextRetryAt: Math.max(prev.nextRetryAt ?? 0, c.nextRetryAt ?? 0) || null,
        trips: Math.max(prev.trips, c.trips),
        consecutiveFailures: Math.max(prev.consecutiveFailures, c.consecutiveFailures),
        windowRequests: prev.windowRequests + c.windowRequests,
        windowFailures: prev.windowFailures + c.windowFailures,
        n: prev.n + 1,
      });
    }
  }
  return [...by.values()]
    .map((c) => ({
      model: c.model === ACCOUNT_WIDE ? "(account)" : c.model, state: c.state, nextRetryAt: iso(c.nextRetryAt), openedAt: iso(c.openedAt),
      trips: c.trips, consecutiveFailures: c.consecutiveFailures, reason: c.reason, windowRequests: c.windowRequests, windowFailures: c.windowFailures,
    }))
    .sort((a, b) => STATE_RANK[a.state] - STATE_RANK[b.state] || a.model.localeCompare(b.model));
}

type WindowRow = { accountId: string; r5: string; e5: string; r60: string; e60: string; r1440: string; e1440: string };
type HistRow = { accountId: string; kind: "l" | "t"; i: string; n: string };
type BinRow = { accountId: string; bin: Date; requests: string; errors: string; latency: string; successes: string };

async function minuteStats(accountIds: string[]) {
  const ids = accountIds;
  const [windows, hists, bins] = await Promise.all([
    pool().query<WindowRow>(
      `SELECT "accountId",
              COALESCE(sum(requests) FILTER (WHERE minute > now() - interval '5 minutes'), 0) AS r5,
              COALESCE(sum(failures + "rateLimited") FILTER (WHERE minute > now() - interval '5 minutes'), 0) AS e5,
              COALESCE(sum(requests) FILTER (WHERE minute > now() - interval '1 hour'), 0) AS r60,
              COALESCE(sum(failures + "rateLimited") FILTER (WHERE minute > now() - interval '1 hour'), 0) AS e60,
              COALESCE(sum(requests), 0) AS r1440, COALESCE(sum(failures + "rateLimited"), 0) AS e1440
         FROM "AccountHealthMinute"
        WHERE minute > now() - interval '24 hours' AND "accountId" = ANY($1::uuid[])
        GROUP BY 1`,
      [ids],
    ),
    pool().query<HistRow>(
      `SELECT "accountId", kind, i, sum(n) AS n FROM (
         SELECT m."accountId", 'l' AS kind, h.i, h.n FROM "AccountHealthMinute" m, unnest(m."latencyHist") WITH ORDINALITY AS h(n, i)
          WHERE m.minute > now() - interval '1 hour' AND m."accountId" = ANY($1::uuid[])
         UNION ALL
         SELECT m."accountId", 't' AS kind, h.i, h.n FROM "AccountHealthMinute" m, unnest(m."ttftHist") WITH ORDINALITY AS h(n, i)
          WHERE m.minute > now() - interval '1 hour' AND m."accountId" = ANY($1::uuid[])
       ) x GROUP BY 1, 2, 3`,
      [ids],
    ),
    pool().query<BinRow>(
      `SELECT "accountId", date_bin('${SPARK_BIN_MIN} minutes', minute, TIMESTAMPTZ '2000-01-01') AS bin,
              sum(requests) AS requests, sum(failures + "rateLimited") AS errors, sum("latencySumMs") AS latency, sum(successes) AS successes
         FROM "AccountHealthMinute"
        WHERE minute > now() - interval '24 hours' AND "accountId" = ANY($1::uuid[])
        GROUP BY 1, 2`,
      [ids],
    ),
  ]);
  const hist = new Map<string, { l: number[]; t: number[] }>();
  for (const r of hists.rows) {
    const h = hist.get(r.accountId) ?? { l: emptyHistogram(), t: emptyHistogram() };
    const i = Number(r.i) - 1;
    if (i >= 0 && i < BUCKETS) h[r.kind][i]! += Number(r.n);
    hist.set(r.accountId, h);
  }
  const now = Date.now();
  const binMs = SPARK_BIN_MIN * 60_000;
  const lastBin = now - (now % binMs);
  const spark = new Map<string, SparkPoint[]>();
  const binIndex = new Map<string, Map<number, BinRow>>();
  for (const r of bins.rows) {
    const m = binIndex.get(r.accountId) ?? new Map<number, BinRow>();
    m.set(r.bin.getTime(), r);
    binIndex.set(r.accountId, m);
  }
  for (const id of ids) {
    const m = binIndex.get(id);
    const points: SparkPoint[] = [];
    for (let k = SPARK_BINS - 1; k >= 0; k--) {
      const t = lastBin - k * binMs;
      const r = m?.get(t);
      const ok = r ? Number(r.successes) : 0;
      points.push({ t: new Date(t).toISOString(), requests: r ? Number(r.requests) : 0, errors: r ? Number(r.errors) : 0, latencyMs: ok ? Math.round(Number(r!.latency) / ok) : null });
    }
    spark.set(id, points);
  }
  return { windows: new Map(windows.rows.map((r) => [r.accountId, r])), hist, spark };
}

async function build(where: { id?: string }): Promise<HealthReport> {
  // Our own state goes to the database first, so the page reads one consistent source.
  await writeHealthSnapshot();
  const liveMs = Math.max(3 * snapshotIntervalMs(), 30_000);
  const [accounts, snaps, settings] = await Promise.all([
    db.providerAccount.findMany({
      where: where.id ? { id: where.id } : {},
      select: { id: true, name: true, provider: true, enabled: true, draining: true, weight: true, priority: true, probeMode: true, rpmLimit: true, tpmLimit: true },
      orderBy: [{ priority: "asc" }, { name: "asc" }],
    }),
    readSnapshots(liveMs),
    getRoutingSettings(),
  ]);
  if (where.id && accounts.length === 0) throw notFound("Account");
  const stats = await minuteStats(accounts.map((a) => a.id));
  const me = instanceId();
  const now = Date.now();
  const instances = [...new Set(snaps.map((s) => s.instanceId))].sort();

  const rows: AccountHealth[] = accounts.map((a) => {
    const mine = snaps.filter((s) => s.accountId === a.id);
    const circuits = mergeCircuits(mine.map((s) => s.circuits ?? []));
    let status: AccountStatus = "healthy";
    let reason: string | null = null;
    for (const s of mine) {
      const st = s.status as AccountStatus;
      if (STATUS_RANK[st] !== undefined && STATUS_RANK[st] < STATUS_RANK[status]) {
        status = st;
        reason = typeof s.rateLimit?.reason === "string" ? s.rateLimit.reason : null;
      }
    }
    if (a.draining) [status, reason] = ["draining", "no new requests; calls in flight finish"];
    if (!a.enabled) [status, reason] = ["disabled", null];
    const cooldown = Math.max(0, ...mine.map((s) => s.cooldownUntil?.getTime() ?? 0));
    const errors = mine.map(errorOf).filter((e) => e !== null).sort((x, y) => y.at - x.at);
    const probes = mine.filter((s) => s.lastProbeAt).sort((x, y) => y.lastProbeAt!.getTime() - x.lastProbeAt!.getTime());
    const ewmas = mine.map((s) => s.ewmaLatencyMs).filter((v): v is number => v !== null);
    const rl = mine.map((s) => s.rateLimit ?? {});
    const num = (v: unknown) => (typeof v === "number" ? v : 0);
    const learnedRpm = Math.max(0, ...rl.map((r) => num(r.limitRequests)));
    const learnedTpm = Math.max(0, ...rl.map((r) => num(r.limitTokens)));
    const w = stats.windows.get(a.id);
    const h = stats.hist.get(a.id) ?? { l: emptyHistogram(), t: emptyHistogram() };
    const worst = circuits[0] && circuits[0].state !== "closed" ? circuits[0] : (circuits[0] ?? null);
    return {
      id: a.id, name: a.name, provider: a.provider, enabled: a.enabled, draining: a.draining, weight: a.weight, priority: a.priority, probeMode: a.probeMode,
      status, reason,
      instances: mine.map((s) => ({ instanceId: s.instanceId, status: s.status, takenAt: s.takenAt.toISOString(), current: s.instanceId === me })),
      circuit: worst, circuits,
      inFlight: mine.reduce((t, s) => t + s.inFlight, 0),
      consecutiveFailures: Math.max(0, ...mine.map((s) => s.consecutiveFailures)),
      cooldownUntil: cooldown > now ? iso(cooldown) : null,
      windows: {
        "5m": win(Number(w?.r5 ?? 0), Number(w?.e5 ?? 0)),
        "1h": win(Number(w?.r60 ?? 0), Number(w?.e60 ?? 0)),
        "24h": win(Number(w?.r1440 ?? 0), Number(w?.e1440 ?? 0)),
      },
      latency: {
        p50: quantile(h.l, 0.5), p95: quantile(h.l, 0.95), ttftP50: quantile(h.t, 0.5),
        ewmaMs: ewmas.length ? Math.round(ewmas.reduce((x, y) => x + y, 0) / ewmas.length) : null,
      },
      rate: {
        rpm: rl.reduce((t, r) => t + num(r.ownRpm), 0),
        tpm: rl.reduce((t, r) => t + num(r.ownTpm), 0),
        rpmLimit: a.rpmLimit ?? (learnedRpm || null),
        tpmLimit: a.tpmLimit ?? (learnedTpm || null),
        limitSource: { rpm: a.rpmLimit ? "configured" : learnedRpm ? "upstream headers" : null, tpm: a.tpmLimit ? "configured" : learnedTpm ? "upstream headers" : null },
      },
      lastError: errors[0] ? { at: new Date(errors[0].at).toISOString(), code: errors[0].code, message: errors[0].message, model: errors[0].model } : null,
      probe: probes[0]
        ? { healthy: probes[0].probeHealthy, at: probes[0].lastProbeAt!.toISOString(), message: probes[0].lastProbeMessage }
        : { healthy: null, at: null, message: null },
      sparkline: stats.spark.get(a.id) ?? [],
    };
  });
  return { generatedAt: new Date(now).toISOString(), instances, strategy: settings.strategy, snapshotIntervalMs: snapshotIntervalMs(), accounts: rows };
}

export function accountHealthReport(): Promise<HealthReport> {
  return build({});
}

export type HealthEventView = { at: string; kind: string; model: string | null; detail: string | null; instanceId: string };
export type HourPoint = { t: string; requests: number; errors: number; p50: number | null; p95: number | null };

export type AccountHealthDetail = { generatedAt: string; instances: string[]; account: AccountHealth; events: HealthEventView[]; failures: HealthEventView[]; hourly: HourPoint[] };

/** One account: the same row as the table, plus 24 h of hourly history and its recent events and failures. */
export async function accountHealthDetail(id: string): Promise<AccountHealthDetail> {
  // An id from a URL: anything but a uuid is no account (Postgres would answer it with an error).
  if (!isUuid(id)) throw notFound("Account");
  const report = await build({ id });
  const [events, failures, hours] = await Promise.all([
    pool().query<{ at: Date; kind: string; model: string | null; detail: string | null; instanceId: string }>(
      `SELECT at, kind, model, detail, "instanceId" FROM "AccountHealthEvent" WHERE "accountId" = $1 AND kind <> 'failure' ORDER BY at DESC, id DESC LIMIT 50`,
      [id],
    ),
    pool().query<{ at: Date; kind: string; model: string | null; detail: string | null; instanceId: string }>(
      `SELECT at, kind, model, detail, "instanceId" FROM "AccountHealthEvent" WHERE "accountId" = $1 AND kind = 'failure' ORDER BY at DESC, id DESC LIMIT 50`,
      [id],
    ),
    pool().query<{ bin: Date; requests: string; errors: string; hist: number[] | null }>(
      `WITH h AS (
         SELECT date_trunc('hour', m.minute) AS bin, x.i, sum(x.n)::int AS n
           FROM "AccountHealthMinute" m, unnest(m."latencyHist") WITH ORDINALITY AS x(n, i)
          WHERE m."accountId" = $1 AND m.minute > now() - interval '24 hours'
          GROUP BY 1, 2
       ), t AS (
         SELECT date_trunc('hour', minute) AS bin, sum(requests) AS requests, sum(failures + "rateLimited") AS errors
           FROM "AccountHealthMinute" WHERE "accountId" = $1 AND minute > now() - interval '24 hours' GROUP BY 1
       )
       SELECT t.bin, t.requests, t.errors, (SELECT array_agg(n ORDER BY i) FROM h WHERE h.bin = t.bin) AS hist FROM t ORDER BY 1`,
      [id],
    ),
  ]);
  const view = (r: { at: Date; kind: string; model: string | null; detail: string | null; instanceId: string }): HealthEventView => ({
    at: r.at.toISOString(), kind: r.kind, model: r.model, detail: r.detail, instanceId: r.instanceId,
  });
  const byHour = new Map(hours.rows.map((r) => [r.bin.getTime(), r]));
  const now = Date.now();
  const thisHour = now - (now % 3_600_000);
  const hourly: HourPoint[] = [];
  for (let k = 23; k >= 0; k--) {
    const t = thisHour - k * 3_600_000;
    const r = byHour.get(t);
    const hist = r?.hist ? addInto(emptyHistogram(), r.hist) : emptyHistogram();
    hourly.push({ t: new Date(t).toISOString(), requests: Number(r?.requests ?? 0), errors: Number(r?.errors ?? 0), p50: quantile(hist, 0.5), p95: quantile(hist, 0.95) });
  }
  return { generatedAt: report.generatedAt, instances: report.instances, account: report.accounts[0]!, events: events.rows.map(view), failures: failures.rows.map(view), hourly };
}
