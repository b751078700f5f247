import "server-only";
import { randomUUID } from "node:crypto";
import { pool } from "@/lib/db";
import { countChatTokens, type ChatCompletionRequest } from "@/lib/providers";
import { costOf, loadPrices, priceFor } from "@/lib/usage";
import { AppError } from "@/lib/http/errors";
import type { Principal } from "@/lib/auth/principal";
import { limitFields, type LimitName, type QuotaPeriod } from "./schemas";
import { enabledPolicies } from "./policies";
import {
  completionBudget, errorKind, formatDuration, now, periodsOf, rateLimitHeaders, subjectFor, windowEnd, windowStart,
  type CachedPolicy, type CounterState,
} from "./windows";
import { ensureSweeper, RESERVATION_TTL_MS, trackReservation } from "./sweeper";

// Admission: estimate the call, then reserve the estimate on every matching
// policy's current windows in ONE database round trip (quota_reserve, created
// by the migration): all or nothing, counters locked in key order. Settlement
// happens later, batched with the usage write (settle.ts).

/** One counter a reservation holds and what it holds there. */
export type HeldCounter = { policyId: string; subject: string; period: QuotaPeriod; windowStart: string; tokens: number; spend: number };

/** The handle carried on the usage event; settled in the usage batch's transaction. */
export type Reservation = { kind: "quota-reservation"; id: string; counters: HeldCounter[] };

export function isReservation(v: unknown): v is Reservation {
  return typeof v === "object" && v !== null && (v as Reservation).kind === "quota-reservation";
}

export type Admission = { headers: Record<string, string>; reservation: Reservation | null };

type Wanted = { policy: CachedPolicy; subject: string; period: QuotaPeriod; start: number; tokens: number; spend: number };

type ReserveRow = {
  ok: boolean; failed: LimitName | null; policy_id: string; subject: string; period: QuotaPeriod; window_start: Date;
  est_tokens: string; est_spend: string; limit_requests: number | null; limit_tokens: string | null; limit_spend: string | null;
  used_requests: number; reserved_requests: number; used_tokens: string; reserved_tokens: string; used_spend: string; reserved_spend: string;
};

const RESERVE_SQL = `SELECT * FROM quota_reserve($1::uuid, $2::text, $3::timestamptz, $4::uuid[], $5::text[], $6::text[], $7::timestamptz[], $8::bigint[], $9::numeric[])`;

let pricesLoaded = false;

async function estimateSpend(model: string, at: number, inputTokens: number, outputTokens: number): Promise<number> {
  // The usage writer keeps prices fresh; only the very first estimate waits for them.
  if (!pricesLoaded) {
    await loadPrices();
    pricesLoaded = true;
  } else void loadPrices();
  const price = priceFor(model, at);
  return price ? costOf(price, { inputTokens, outputTokens, cachedTokens: 0 }) : 0;
}

const num = (v: string | number | null): number | null => (v === null ? null : Number(v));

function stateOf(r: ReserveRow): CounterState {
  return {
    policyId: r.policy_id, period: r.period, windowStart: r.window_start.getTime(),
    limitRequests: r.limit_requests, limitTokens: num(r.limit_tokens), limitSpend: num(r.limit_spend),
    usedRequests: r.used_requests, reservedRequests: r.reserved_requests,
    usedTokens: Number(r.used_tokens), reservedTokens: Number(r.reserved_tokens),
    usedSpend: Number(r.used_spend), reservedSpend: Number(r.reserved_spend),
  };
}

export async function admit(principal: Principal, req: ChatCompletionRequest, ctx: { completionId: string }): Promise<Admission> {
  const policies = await enabledPolicies();
  if (policies.length === 0) return { headers: {}, reservation: null };
  const call = {
    apiKeyId: principal.kind === "apiKey" && principal.key.id ? principal.key.id : null,
    endUser: typeof req.user === "string" && req.user ? req.user.slice(0, 256) : null,
    model: req.model,
  };
  const matching: { policy: CachedPolicy; subject: string }[] = [];
  for (const policy of policies) {
    const subject = subjectFor(policy, call);
    if (subject !== null) matching.push({ policy, subject });
  }
  if (matching.length === 0) return { headers: {}, reservation: null };

  const bounded = req.max_completion_tokens != null || req.max_tokens != null;
  const strict = matching.find((m) => m.policy.requireMaxTokens);
  if (strict && !bounded) {
    throw new AppError("bad_request", `Quota policy '${strict.policy.name}' requires max_tokens (or max_completion_tokens) on every request`, {
      param: "max_tokens", extra: { code: "max_tokens_required" },
    });
  }

  ensureSweeper();
  const at = now();
  const prompt = countChatTokens(req.model, req.messages, req.tools);
  const wanted: Wanted[] = [];
  for (const { policy, subject } of matching) {
    const completion = completionBudget(req, policy);
    const spend = policy.spendPerDayUsd != null || policy.spendPerMonthUsd != null ? await estimateSpend(req.model, at, prompt, completion) : 0;
    for (const period of periodsOf(policy)) {
      wanted.push({ policy, subject, period, start: windowStart(period, at), tokens: prompt + completion, spend });
    }
  }

  const id = randomUUID();
  const { rows } = await pool().query<ReserveRow>(RESERVE_SQL, [
    id, ctx.completionId, new Date(at + RESERVATION_TTL_MS),
    wanted.map((w) => w.policy.id), wanted.map((w) => w.subject), wanted.map((w) => w.period),
    wanted.map((w) => new Date(w.start)), wanted.map((w) => w.tokens), wanted.map((w) => w.spend.toFixed(8)),
  ]);
  // Every matching policy was disabled or deleted since the cache was filled.
  if (rows.length === 0) return { headers: {}, reservation: null };

  const headers = rateLimitHeaders(rows.map(stateOf), at);
  if (!rows[0]!.ok) throw rejection(rows, wanted, headers, at);

  trackReservation(id);
  return {
    headers,
    reservation: {
      kind: "quota-reservation",
      id,
      counters: rows.map((r) => ({
        policyId: r.policy_id, subject: r.subject, period: r.period, windowStart: r.window_start.toISOString(),
        tokens: Number(r.est_tokens), spend: Number(r.est_spend),
      })),
    },
  };
}

function rejection(rows: ReserveRow[], wanted: Wanted[], headers: Record<string, string>, at: number): AppError {
  // When several limits refuse the call, report the one that resets last (retrying earlier cannot
  // succeed); on a tie, the longer window, the quota rather than the rate limit.
  const rank = { minute: 0, day: 1, month: 2 } as const;
  const resets = (r: ReserveRow) => windowEnd(r.period, r.window_start.getTime());
  const row = rows.filter((r) => r.failed).sort((a, b) => resets(b) - resets(a) || rank[b.period] - rank[a.period])[0]!;
  const limit = row.failed!;
  const policy = wanted.find((w) => w.policy.id === row.policy_id)!.policy;
  const meta = limitFields.find((l) => l.name === limit)!;
  const state = stateOf(row);
  const [max, used, reserved, need] =
    meta.metric === "requests" ? [state.limitRequests!, state.usedRequests, state.reservedRequests, 1]
    : meta.metric === "tokens" ? [state.limitTokens!, state.usedTokens, state.reservedTokens, Number(row.est_tokens)]
    : [state.limitSpend!, state.usedSpend, state.reservedSpend, Number(row.est_spend)];
  const resetAt = windowEnd(row.period, state.windowStart);
  const unit = meta.metric === "spend" ? " USD" : meta.metric === "tokens" ? " tokens" : " requests";
  const fmt = (n: number) => (meta.metric === "spend" ? n.toFixed(6) : String(n));
  // A call larger than the whole limit will never fit: say so instead of inviting a retry.
  const never = need > max;
  const message =
    `Quota policy '${policy.name}' (${policy.id}): ${limit} limit of ${fmt(max)}${unit} ` +
    (never
      ? `is smaller than this request's estimate of ${fmt(need)}${unit}; lower max_tokens or raise the limit.`
      : `reached (used ${fmt(used)}, reserved by calls in flight or just finished and not yet settled ${fmt(reserved)}, this request needs ${fmt(need)}). The window resets at ${new Date(resetAt).toISOString()}.`);
  const h: Record<string, string> = { ...headers, "x-promptgate-quota-policy": policy.id, "x-promptgate-quota-limit": limit };
  if (!never) {
    h["retry-after"] = String(Math.max(1, Math.ceil((resetAt - at) / 1000)));
    h["x-promptgate-quota-reset"] = formatDuration(resetAt - at);
  }
  return new AppError(errorKind(limit), message, { headers: h, extra: { code: limit } });
}
