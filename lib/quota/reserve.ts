import "server-only";
import type { UsageReservation } from "@/lib/usage";
import { randomUUID } from "node:crypto";
import { boundedQuery, isDatabaseUnreachable, withinReach, type Bound } from "@/lib/db";
import { countChatTokens, type ChatCompletionRequest } from "@/lib/providers";
import { costOf, loadPrices, priceFor } from "@/lib/pricing";
import { AppError, databaseUnavailable } from "@/lib/core";
import { workspaceOf, type Principal } from "@/lib/core";
import { config } from "@/lib/config";
import type { LimitName, QuotaPeriod } from "./schemas";
import { enabledPolicies, policiesInMemory } from "./policies";
import {
  completionBudget, errorKind, formatDuration, metricOf, now, periodsOf, rateLimitHeaders, refusingLimits, subjectFor, windowStart,
  type CachedPolicy, type CounterState, type LimitCheck,
} from "./windows";
import { ensureSweeper, heldForMs, releaseAbandoned, reservationTtlMs, trackReservation } from "./sweeper";
import { nextInLine, waitForRoom } from "./wait";

// Admission: estimate the call, then reserve the estimate on every matching
// policy's current windows in ONE database round trip (quota_reserve, created
// by the migration): all or nothing, counters locked in key order. Settlement
// happens later, batched with the usage write (settle.ts). A call refused only
// because of other calls' reservations waits for them briefly (wait.ts) and
// tries again; a refusal says whether the limit is used up or only reserved.
//
// The database may be gone (faults #14.3). Every wait on it here is bounded by
// QUOTA_ADMISSION_TIMEOUT_MS of silence from it (lib/db/reachability.ts); past
// that the call is refused with 503 database_unavailable, or, with
// QUOTA_FAIL_OPEN=rate-limits and only per-minute limits in play, admitted
// without a reservation and counted when its usage event is written.

/** One counter a reservation holds and what it holds there. */
export type HeldCounter = { policyId: string; subject: string; period: QuotaPeriod; windowStart: string; tokens: number; spend: number };

/**
 * The handle carried on the usage event (lib/usage types it; this module gives it meaning); settled in
 * the usage batch's transaction. `unreserved`: admitted fail-open while the database was unreachable, so
 * nothing is held (estimates 0) and settlement creates any missing counter before adding the call's usage.
 */
export type Reservation = UsageReservation & { counters: HeldCounter[] };

export function isReservation(v: unknown): v is Reservation {
  return typeof v === "object" && v !== null && (v as Reservation).kind === "quota-reservation";
}

export type Admission = { headers: Record<string, string>; reservation: Reservation | null };

/**
 * A call whose size is known before it is sent and that produces no output
 * (embeddings): its estimate is its input tokens, counted only when a policy
 * applies. A chat request is estimated from its messages and completion budget.
 */
export type SizedCall = { model: string; user?: string | null; inputTokens: () => number };
export type AdmissionRequest = ChatCompletionRequest | SizedCall;

const isSized = (req: AdmissionRequest): req is SizedCall => typeof (req as SizedCall).inputTokens === "function";

type Wanted = { policy: CachedPolicy; subject: string; period: QuotaPeriod; tokens: number; spend: number };

type ReserveRow = {
  ok: boolean; failed: LimitName | null; policy_id: string; subject: string; period: QuotaPeriod; window_start: Date; window_end: Date;
  est_tokens: string; est_spend: string; limit_requests: number | null; limit_tokens: string | null; limit_spend: string | null;
  used_requests: number; reserved_requests: number; used_tokens: string; reserved_tokens: string; used_spend: string; reserved_spend: string;
};

// The windows are taken in the database, each in its policy's time zone, from the admission time ($4).
const RESERVE_SQL = `SELECT * FROM quota_reserve($1::uuid, $2::text, $3::timestamptz, $4::timestamptz, $5::uuid[], $6::text[], $7::text[], $8::bigint[], $9::numeric[])`;

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
    policyId: r.policy_id, period: r.period, windowStart: r.window_start.getTime(), windowEnd: r.window_end.getTime(),
    limitRequests: r.limit_requests, limitTokens: num(r.limit_tokens), limitSpend: num(r.limit_spend),
    usedRequests: r.used_requests, reservedRequests: r.reserved_requests,
    usedTokens: Number(r.used_tokens), reservedTokens: Number(r.reserved_tokens),
    usedSpend: Number(r.used_spend), reservedSpend: Number(r.reserved_spend),
  };
}

const admissionBound = (): Bound => ({ ms: config().QUOTA_ADMISSION_TIMEOUT_MS, until: "silence" });

export async function admit(principal: Principal, req: AdmissionRequest, ctx: { completionId: string }): Promise<Admission> {
  // From memory; only a cold cache waits for the database (and then within the bound: no policies, no admission).
  const policies = policiesInMemory() ?? (await withinReach(enabledPolicies(), admissionBound(), "the quota policies").catch(refuseIfUnreachable));
  if (policies.length === 0) return { headers: {}, reservation: null };
  const call = {
    apiKeyId: principal.kind === "apiKey" && principal.key.id ? principal.key.id : null,
    endUser: typeof req.user === "string" && req.user ? req.user.slice(0, 256) : null,
    model: req.model,
    workspaceId: workspaceOf(principal),
  };
  const matching: { policy: CachedPolicy; subject: string }[] = [];
  // A policy binds the calls of its own workspace only.
  const workspaceId = call.workspaceId;
  for (const policy of policies) {
    if (policy.workspaceId !== workspaceId) continue;
    const subject = subjectFor(policy, call);
    if (subject !== null) matching.push({ policy, subject });
  }
  if (matching.length === 0) return { headers: {}, reservation: null };

  // A sized call has no output to bound.
  const bounded = isSized(req) || req.max_completion_tokens != null || req.max_tokens != null;
  const strict = matching.find((m) => m.policy.requireMaxTokens);
  if (strict && !bounded) {
    throw new AppError("bad_request", `Quota policy '${strict.policy.name}' requires max_tokens (or max_completion_tokens) on every request`, {
      param: "max_tokens", extra: { code: "max_tokens_required" },
    });
  }

  ensureSweeper();
  try {
    return await reserve(req, ctx, matching);
  } catch (err) {
    if (!isDatabaseUnreachable(err)) throw err;
    return unreachable(matching);
  }
}

async function reserve(req: AdmissionRequest, ctx: { completionId: string }, matching: { policy: CachedPolicy; subject: string }[]): Promise<Admission> {
  const bound = admissionBound();
  const first = now();
  const prompt = isSized(req) ? req.inputTokens() : countChatTokens(req.model, req.messages, req.tools);
  const wanted: Wanted[] = [];
  for (const { policy, subject } of matching) {
    const completion = isSized(req) ? 0 : completionBudget(req, policy);
    const spend = policy.spendPerDayUsd != null || policy.spendPerMonthUsd != null ? await withinReach(estimateSpend(req.model, first, prompt, completion), bound, "the price table") : 0;
    for (const period of periodsOf(policy)) wanted.push({ policy, subject, period, tokens: prompt + completion, spend });
  }

  const id = randomUUID();
  // A reservation whose answer came after the bound (the call was already refused) still committed:
  // give it back at once rather than holding it until it expires.
  const releaseIfReserved = (r: { rows: ReserveRow[] }) => {
    if (r.rows[0]?.ok) releaseAbandoned(id);
  };
  // Only a refusal for reserved capacity ever takes a second round trip (see wait.ts). The wait budget
  // starts at that first refusal: time spent queued for a connection is not time waited for settlements.
  let deadline: number | undefined;
  let ticket: number | undefined;
  for (;;) {
    const at = now();
    const { rows } = await boundedQuery<ReserveRow>(RESERVE_SQL, [
      // Windows are taken at each attempt: a call that waited into the next minute counts there.
      id, ctx.completionId, new Date(at + reservationTtlMs()), new Date(at),
      wanted.map((w) => w.policy.id), wanted.map((w) => w.subject), wanted.map((w) => w.period),
      wanted.map((w) => w.tokens), wanted.map((w) => w.spend.toFixed(8)),
    ], bound, releaseIfReserved);
    // Every matching policy was disabled or deleted since the cache was filled.
    if (rows.length === 0) return { headers: {}, reservation: null };

    const headers = rateLimitHeaders(rows.map(stateOf), at);
    if (rows[0]!.ok) {
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
    const refusal = refusalOf(rows);
    deadline ??= performance.now() + config().QUOTA_RESERVED_WAIT_MS;
    const left = deadline - performance.now();
    if (refusal.check.verdict !== "reserved" || left <= 0) throw rejection(refusal, wanted, headers, at);
    ticket ??= nextInLine();
    const r = refusal.row;
    await waitForRoom(
      { policyId: r.policy_id, subject: r.subject, period: r.period, windowStart: r.window_start.getTime() },
      stateOf(r), { tokens: Number(r.est_tokens), spend: Number(r.est_spend) }, left, ticket,
    );
  }
}

function refuseIfUnreachable(err: unknown): never {
  throw isDatabaseUnreachable(err)
    ? databaseUnavailable("Quota policies cannot be read: the database is unreachable right now; retry in a few seconds")
    : err;
}

/** A call under only per-minute limits (requests or tokens per minute): no spend, daily or monthly budget. */
const rateLimitsOnly = (p: CachedPolicy) => periodsOf(p).every((period) => period === "minute");

/**
 * The database cannot be reached. Fail closed (503), unless QUOTA_FAIL_OPEN=rate-limits and every
 * matching policy is a per-minute rate limit: then the call is admitted without a reservation, and
 * its usage is added to those windows when the usage writer gets through (settle.ts). A budget
 * always fails closed: overspending it cannot be taken back.
 */
function unreachable(matching: { policy: CachedPolicy; subject: string }[]): Admission {
  if (config().QUOTA_FAIL_OPEN === "rate-limits" && matching.every((m) => rateLimitsOnly(m.policy))) {
    const at = now();
    return {
      headers: {},
      reservation: {
        kind: "quota-reservation",
        id: randomUUID(),
        unreserved: true,
        counters: matching.map(({ policy, subject }) => ({
          policyId: policy.id, subject, period: "minute" as const, windowStart: new Date(windowStart("minute", at)).toISOString(), tokens: 0, spend: 0,
        })),
      },
    };
  }
  const names = [...new Set(matching.map((m) => `'${m.policy.name}'`))];
  const which = names.length === 1 ? `Quota policy ${names[0]} applies` : `Quota policies ${names.join(", ")} apply`;
  throw databaseUnavailable(`${which} to this call, and the database that admits it cannot be reached right now; retry in a few seconds`);
}

type Refusal = { row: ReserveRow; check: LimitCheck };

/**
 * Which limit to report when a call is refused. Worst reason first: a call larger than the limit, then
 * a used-up limit (only the window's reset helps), then capacity held by calls in flight. Among used-up
 * limits, the one that resets last (retrying earlier cannot succeed), and on a tie the longer window,
 * the quota rather than the rate limit. Among reserved ones, the one short of the most.
 */
function refusalOf(rows: ReserveRow[]): Refusal {
  const rank = { minute: 0, day: 1, month: 2 } as const;
  const severity = { never: 2, used_up: 1, reserved: 0 } as const;
  const resets = (r: ReserveRow) => r.window_end.getTime();
  const short = (c: LimitCheck) => (c.used + c.reserved + c.need - c.max) / Math.max(c.max, 1e-9);
  const all = rows.flatMap((row) => refusingLimits(stateOf(row), { tokens: Number(row.est_tokens), spend: Number(row.est_spend) }).map((check) => ({ row, check })));
  if (all.length === 0) {
    // Only rounding gets here: spend is exact (numeric) in the database, a float here, and the sum came
    // out at the limit to within a float's precision. Trust the database's verdict on which limit.
    const row = rows.find((r) => r.failed) ?? rows[0]!;
    const limit: LimitName = row.failed ?? "spend_per_day";
    const s = stateOf(row);
    const [max, used, reserved, need] =
      metricOf(limit) === "requests" ? [s.limitRequests ?? 0, s.usedRequests, s.reservedRequests, 1]
      : metricOf(limit) === "tokens" ? [s.limitTokens ?? 0, s.usedTokens, s.reservedTokens, Number(row.est_tokens)]
      : [s.limitSpend ?? 0, s.usedSpend, s.reservedSpend, Number(row.est_spend)];
    return { row, check: { limit, metric: metricOf(limit), max, used, reserved, need, verdict: reserved > 0 ? "reserved" : "used_up" } };
  }
  return all.sort((a, b) =>
    severity[b.check.verdict] - severity[a.check.verdict] ||
    (a.check.verdict === "reserved" ? short(b.check) - short(a.check) : 0) ||
    resets(b.row) - resets(a.row) || rank[b.row.period] - rank[a.row.period])[0]!;
}

/** How a refusal names the budget a policy is: whose it is, by scope. */
const budgetOwner: Record<CachedPolicy["scope"], string> = {
  workspace: "workspace budget", key: "API key budget", user: "end-user budget", model: "model budget", key_model: "API key budget for a model",
};

function rejection({ row, check }: Refusal, wanted: Wanted[], headers: Record<string, string>, at: number): AppError {
  const policy = wanted.find((w) => w.policy.id === row.policy_id)!.policy;
  const { limit, metric, max, used, reserved, need, verdict } = check;
  const resetAt = row.window_end.getTime();
  const unit = metric === "spend" ? " USD" : metric === "tokens" ? " tokens" : " requests";
  const fmt = (n: number) => (metric === "spend" ? n.toFixed(6) : String(n));
  const head = `Quota policy '${policy.name}' (${policy.id}): ${limit} limit of ${fmt(max)}${unit}`;
  const h: Record<string, string> = { ...headers, "x-promptgate-quota-policy": policy.id, "x-promptgate-quota-limit": limit };
  if (verdict === "never") {
    // A call larger than the whole limit will never fit: say so instead of inviting a retry (the
    // official SDKs honour x-should-retry over the status).
    h["x-should-retry"] = "false";
    const message = `${head} is smaller than this request's estimate of ${fmt(need)}${unit}; lower max_tokens or raise the limit.`;
    return new AppError(errorKind(limit), message, { headers: h, extra: { code: limit } });
  }
  h["x-promptgate-quota-reset"] = formatDuration(resetAt - at);
  if (verdict === "used_up") {
    h["retry-after"] = String(Math.max(1, Math.ceil((resetAt - at) / 1000)));
    if (errorKind(limit) === "quota_exceeded") {
      // An exhausted day or month budget: retrying before the reset cannot succeed, and the openai SDK
      // retries every 429 unless told not to. OpenAI's own code for a spent quota, so clients that
      // branch on it stop; the message says it is ours, which one, and when it comes back.
      // `limit` keeps the limit's name for the usage event (the gateway records it as the error code).
      h["x-should-retry"] = "false";
      const message =
        `Promptgate budget exhausted: the ${budgetOwner[policy.scope]} '${policy.name}' (${policy.id}) allows ${fmt(max)}${unit} per ${row.period}` +
        ` (${limit}) and is used up: used ${fmt(used)}${reserved > 0 ? `, with ${fmt(reserved)} held by calls in flight` : ""}; this request needs ${fmt(need)}. ` +
        `This is a budget set in the Promptgate gateway, not your model provider's quota. It resets at ${new Date(resetAt).toISOString()} ` +
        `(in ${formatDuration(resetAt - at)}${policy.timeZone && policy.timeZone !== "UTC" ? `, ${policy.timeZone} calendar` : ""}).`;
      return new AppError("quota_exceeded", message, { headers: h, type: "insufficient_quota", extra: { code: "insufficient_quota", limit } });
    }
    const message =
      `${head} used up (used ${fmt(used)}, reserved by calls in flight ${fmt(reserved)}, this request needs ${fmt(need)}). ` +
      `The window resets at ${new Date(resetAt).toISOString()}.`;
    return new AppError(errorKind(limit), message, { headers: h, extra: { code: limit } });
  }
  // Held by calls in flight whose estimates exceed what they will use: back within about one call's time.
  const back = Math.min(Math.max(1, Math.ceil((heldForMs(0.9) ?? 1000) / 1000)), Math.max(1, Math.ceil((resetAt - at) / 1000)));
  h["retry-after"] = String(back);
  const message =
    `${head} is held by calls in flight (used ${fmt(used)}, reserved by calls not yet settled ${fmt(reserved)}, this request needs ${fmt(need)}); ` +
    `it is not used up: retry in about ${back} s, when reserved capacity is expected back.`;
  return new AppError(errorKind(limit), message, { headers: h, extra: { code: `${limit}_reserved` } });
}
