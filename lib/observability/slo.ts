import "server-only";
import { config, configSchema } from "@/lib/config";
import type pg from "pg";
import { pool } from "@/lib/db";

// Service level objectives over the usage events, with exactly the SLIs of the
// alert rules in deploy/prometheus/alerts.yml (a test keeps the two in step):
//   availability: bad = upstream_error | error | unavailable, valid = every call but rejected;
//   latency:      good = a successful call whose first token (a non-streamed
//                 call: the whole response) came within SLO_LATENCY_P95_MS, valid = successful calls.
// "p95 <= X" is the same statement as "95 % of successful calls within X", so
// the latency SLO has a 5 % error budget. Burn rate = observed bad fraction / budget:
// 1 spends the budget in exactly the window, 14.4 over an hour pages.

export const SLO_WINDOW_DAYS = 30;
/** The latency SLO is a p95: 95 % of successful calls must be within the threshold. */
export const LATENCY_QUANTILE = 0.95;
/** The fast-burn paging threshold of the alert rules (spends 2 % of a 30-day budget in an hour). */
export const FAST_BURN = 14.4;
/** Outcomes that spend the availability budget. The alert rules select the same (a test compares them). */
export const AVAILABILITY_BAD_STATUSES = ["upstream_error", "error", "unavailable"] as const;
/** The outcome outside both SLOs: the client's fault (quota, unknown model, scope). */
export const EXCLUDED_STATUS = "rejected";
const sloEnv = configSchema.pick({ SLO_AVAILABILITY_TARGET: true, SLO_LATENCY_P95_MS: true });
/** lib/config's defaults for SLO_AVAILABILITY_TARGET and SLO_LATENCY_P95_MS. */
export const SLO_DEFAULTS = (({ SLO_AVAILABILITY_TARGET, SLO_LATENCY_P95_MS }) => ({ availabilityTarget: SLO_AVAILABILITY_TARGET, latencyP95Ms: SLO_LATENCY_P95_MS }))(sloEnv.parse({}));

export type SloTargets = { availabilityTarget: number; latencyP95Ms: number };

/**
 * The targets from SLO_AVAILABILITY_TARGET and SLO_LATENCY_P95_MS: lib/config's,
 * or those of the given environment (tests), parsed by the same schema; an
 * invalid value throws with the variable's name.
 */
export function sloTargets(env?: Record<string, string | undefined>): SloTargets {
  if (!env) return { availabilityTarget: config().SLO_AVAILABILITY_TARGET, latencyP95Ms: config().SLO_LATENCY_P95_MS };
  const r = sloEnv.safeParse({ SLO_AVAILABILITY_TARGET: env.SLO_AVAILABILITY_TARGET || undefined, SLO_LATENCY_P95_MS: env.SLO_LATENCY_P95_MS || undefined });
  if (!r.success) throw new Error(`invalid SLO settings: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return { availabilityTarget: r.data.SLO_AVAILABILITY_TARGET, latencyP95Ms: r.data.SLO_LATENCY_P95_MS };
}

/** Counts over one window. */
export type SloCounts = { valid: number; bad: number; ok: number; slow: number };

export type Objective = {
  target: number;
  /** Good fraction over the 30 days, null without traffic. */
  achieved: number | null;
  /** Share of the 30-day error budget left: 1 untouched, 0 spent, negative overspent. */
  budgetRemaining: number | null;
  /** Bad fraction over the last hour divided by the budget, null without traffic in that hour. */
  burnRate1h: number | null;
  state: "no_data" | "met" | "at_risk" | "violated";
};

export type SloStatus = {
  windowDays: number;
  targets: SloTargets;
  availability: Objective;
  latency: Objective & { p95Ms: number | null; thresholdMs: number };
  calls: number;
};

function objective(target: number, bad: number, valid: number, bad1h: number, valid1h: number): Objective {
  const budget = 1 - target;
  const achieved = valid ? 1 - bad / valid : null;
  const budgetRemaining = valid ? 1 - bad / valid / budget : null;
  const burnRate1h = valid1h ? bad1h / valid1h / budget : null;
  const state =
    achieved === null ? "no_data"
    : achieved < target ? "violated"
    : (budgetRemaining ?? 1) < 0.25 || (burnRate1h ?? 0) >= FAST_BURN - 1e-9 ? "at_risk"
    : "met";
  return { target, achieved, budgetRemaining, burnRate1h, state };
}

/** The SLO status from window counts; pure, so the arithmetic is unit-tested. */
export function sloReport(window: SloCounts, lastHour: SloCounts, p95Ms: number | null, targets: SloTargets): SloStatus {
  return {
    windowDays: SLO_WINDOW_DAYS,
    targets,
    calls: window.valid,
    availability: objective(targets.availabilityTarget, window.bad, window.valid, lastHour.bad, lastHour.valid),
    latency: {
      ...objective(LATENCY_QUANTILE, window.slow, window.ok, lastHour.slow, lastHour.ok),
      p95Ms,
      thresholdMs: targets.latencyP95Ms,
    },
  };
}

const BAD = AVAILABILITY_BAD_STATUSES.map((s) => `'${s}'`).join(", ");
const SLO_SQL = `
WITH e AS (
  SELECT status, "createdAt" >= now() - interval '1 hour' AS recent, COALESCE("ttftMs", "latencyMs") AS first_token_ms
  FROM "UsageEvent"
  WHERE "createdAt" >= now() - make_interval(days => $2)
)
SELECT
  count(*) FILTER (WHERE status <> '${EXCLUDED_STATUS}')::int AS valid,
  count(*) FILTER (WHERE status IN (${BAD}))::int AS bad,
  count(*) FILTER (WHERE status = 'ok')::int AS ok,
  count(*) FILTER (WHERE status = 'ok' AND first_token_ms > $1)::int AS slow,
  count(*) FILTER (WHERE recent AND status <> '${EXCLUDED_STATUS}')::int AS valid_1h,
  count(*) FILTER (WHERE recent AND status IN (${BAD}))::int AS bad_1h,
  count(*) FILTER (WHERE recent AND status = 'ok')::int AS ok_1h,
  count(*) FILTER (WHERE recent AND status = 'ok' AND first_token_ms > $1)::int AS slow_1h,
  percentile_cont(${LATENCY_QUANTILE}) WITHIN GROUP (ORDER BY first_token_ms) FILTER (WHERE status = 'ok') AS p95
FROM e`;

type Row = { valid: number; bad: number; ok: number; slow: number; valid_1h: number; bad_1h: number; ok_1h: number; slow_1h: number; p95: number | null };

/** The SLO status over the last 30 days of usage events (one query). */
export async function sloStatus(targets: SloTargets = sloTargets(), client: Pick<pg.Pool, "query"> = pool()): Promise<SloStatus> {
  const { rows } = await client.query<Row>(SLO_SQL, [targets.latencyP95Ms, SLO_WINDOW_DAYS]);
  const r = rows[0]!;
  return sloReport(
    { valid: r.valid, bad: r.bad, ok: r.ok, slow: r.slow },
    { valid: r.valid_1h, bad: r.bad_1h, ok: r.ok_1h, slow: r.slow_1h },
    r.p95 === null ? null : Math.round(Number(r.p95)),
    targets,
  );
}
