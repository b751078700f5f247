import "server-only";
import { wildcardMatch } from "@/lib/core";
import { config } from "@/lib/config";
import { limitFields, type LimitMetric, type LimitName, type PolicyView, type QuotaPeriod, type QuotaScope } from "./schemas";

// Pure quota arithmetic: fixed UTC windows, which policies apply to a call,
// the estimate, and which counter is the tightest. No I/O, so it is unit-tested
// directly and shared by admission, settlement and the status views.

// ---- clock ------------------------------------------------------------------

let clock: () => number = () => Date.now();

/** The time quota windows are computed from. Tests inject a clock; pass nothing to restore Date.now. */
export function setQuotaClock(fn?: () => number): void {
  clock = fn ?? (() => Date.now());
}

export const now = (): number => clock();

// ---- windows ----------------------------------------------------------------

/**
 * UTC windows: minutes at :00, days at 00:00 UTC, months on the 1st at 00:00 UTC. Admission takes a
 * policy's day and month windows in its own time zone in the database (quota_window_start); this is
 * the UTC case, and the minute windows of every policy.
 */
export function windowStart(period: QuotaPeriod, at: number): number {
  const d = new Date(at);
  if (period === "minute") return Math.floor(at / 60_000) * 60_000;
  if (period === "day") return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** The first instant of the next window (the reset time). */
export function windowEnd(period: QuotaPeriod, at: number): number {
  const start = windowStart(period, at);
  if (period === "minute") return start + 60_000;
  const d = new Date(start);
  if (period === "day") return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** OpenAI's duration format for x-ratelimit-reset-*: "250ms", "17s", "6m0s", "3h2m1s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const total = Math.ceil(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h) return `${h}h${m}m${s}s`;
  if (m) return `${m}m${s}s`;
  return `${s}s`;
}

// ---- matching ---------------------------------------------------------------

export type CachedPolicy = Pick<
  PolicyView,
  | "id" | "name" | "workspaceId" | "scope" | "apiKeyId" | "endUser" | "model" | "requestsPerMinute" | "tokensPerMinute" | "tokensPerDay"
  | "tokensPerMonth" | "spendPerDayUsd" | "spendPerMonthUsd" | "defaultMaxTokens" | "requireMaxTokens" | "timeZone"
>;

export type CallIdentity = { apiKeyId: string | null; endUser: string | null; model: string; workspaceId?: string };

/**
 * Whose counter a call uses under a policy, or null when the policy does not
 * apply. Scopes: key (every call of the key), user (calls of the key that name
 * an end user in `user`; calls without one are not counted here), model (every
 * call of that model, whatever the key), key_model (the key's calls of that model),
 * workspace (every call of the workspace, one counter: the workspace id).
 * apiKeyId null on a key-bound scope means "each key separately".
 */
export function subjectFor(p: Pick<CachedPolicy, "scope" | "apiKeyId" | "endUser" | "model">, call: CallIdentity): string | null {
  const scope: QuotaScope = p.scope;
  if (scope === "workspace") return call.workspaceId ?? null;
  if (scope === "model") return p.model && wildcardMatch(p.model, call.model) ? "" : null;
  if (!call.apiKeyId) return null;
  if (p.apiKeyId && p.apiKeyId !== call.apiKeyId) return null;
  if (scope === "key") return call.apiKeyId;
  if (scope === "key_model") return p.model && wildcardMatch(p.model, call.model) ? call.apiKeyId : null;
  if (!call.endUser) return null;
  if (p.endUser && p.endUser !== call.endUser) return null;
  return `${call.apiKeyId}:${call.endUser}`;
}

/** The windows a policy counts in (only those it sets a limit for). */
export function periodsOf(p: Pick<CachedPolicy, "requestsPerMinute" | "tokensPerMinute" | "tokensPerDay" | "tokensPerMonth" | "spendPerDayUsd" | "spendPerMonthUsd">): QuotaPeriod[] {
  const out: QuotaPeriod[] = [];
  if (p.requestsPerMinute != null || p.tokensPerMinute != null) out.push("minute");
  if (p.tokensPerDay != null || p.spendPerDayUsd != null) out.push("day");
  if (p.tokensPerMonth != null || p.spendPerMonthUsd != null) out.push("month");
  return out;
}

/** The completion budget a call is estimated at under one policy: its own max, else the policy's cap, else the global default; × n choices. */
export function completionBudget(req: { max_tokens?: number | null; max_completion_tokens?: number | null; n?: number | null }, policy: Pick<CachedPolicy, "defaultMaxTokens">): number {
  const max = req.max_completion_tokens ?? req.max_tokens ?? policy.defaultMaxTokens ?? config().QUOTA_DEFAULT_MAX_TOKENS;
  return max * Math.max(1, req.n ?? 1);
}

// ---- headers ----------------------------------------------------------------

/** A counter's limits and state as the reserve statement returns it. */
export type CounterState = {
  policyId: string;
  period: QuotaPeriod;
  windowStart: number;
  /** The window's reset, from the database (in the policy's time zone); a UTC window's when absent. */
  windowEnd?: number;
  limitRequests: number | null;
  limitTokens: number | null;
  limitSpend: number | null;
  usedRequests: number;
  reservedRequests: number;
  usedTokens: number;
  reservedTokens: number;
  usedSpend: number;
  reservedSpend: number;
};

/** When a counter's window resets. */
export const endOf = (s: Pick<CounterState, "period" | "windowStart" | "windowEnd">): number => s.windowEnd ?? windowEnd(s.period, s.windowStart);

type Tightest = { limit: number; used: number; reserved: number; remaining: number; resetMs: number };

function tightest(states: CounterState[], metric: "requests" | "tokens", at: number): Tightest | null {
  let best: Tightest | null = null;
  for (const s of states) {
    const limit = metric === "requests" ? s.limitRequests : s.limitTokens;
    if (limit == null) continue;
    const used = metric === "requests" ? s.usedRequests : s.usedTokens;
    const reserved = metric === "requests" ? s.reservedRequests : s.reservedTokens;
    const remaining = Math.max(0, limit - used - reserved);
    const resetMs = endOf(s) - at;
    // Fewest left wins; on a tie the window that resets last is the binding one.
    if (!best || remaining < best.remaining || (remaining === best.remaining && resetMs > best.resetMs)) best = { limit, used, reserved, remaining, resetMs };
  }
  return best;
}

/**
 * x-ratelimit-{limit,remaining,reset}-{requests,tokens} for the tightest applicable counter of each kind,
 * plus x-ratelimit-{used,reserved}-{requests,tokens} for the same counter: remaining = limit − used −
 * reserved, and only `used` is spent for good (reserved is held by calls in flight, and mostly comes back).
 */
export function rateLimitHeaders(states: CounterState[], at: number): Record<string, string> {
  const h: Record<string, string> = {};
  for (const metric of ["requests", "tokens"] as const) {
    const t = tightest(states, metric, at);
    if (!t) continue;
    h[`x-ratelimit-limit-${metric}`] = String(t.limit);
    h[`x-ratelimit-remaining-${metric}`] = String(t.remaining);
    h[`x-ratelimit-reset-${metric}`] = formatDuration(t.resetMs);
    h[`x-ratelimit-used-${metric}`] = String(t.used);
    h[`x-ratelimit-reserved-${metric}`] = String(t.reserved);
  }
  return h;
}

/** Per-minute limits are rate limits; day, month and spend limits are quotas (budgets). */
export function errorKind(limit: LimitName): "rate_limit_exceeded" | "quota_exceeded" {
  return limit === "requests_per_minute" || limit === "tokens_per_minute" ? "rate_limit_exceeded" : "quota_exceeded";
}

export function metricOf(limit: LimitName): LimitMetric {
  return limit.startsWith("requests") ? "requests" : limit.startsWith("tokens") ? "tokens" : "spend";
}

// ---- refusals ---------------------------------------------------------------

/**
 * Why one limit of a counter refuses a call, if it does:
 * - `never`: the call alone is larger than the limit;
 * - `used_up`: it would not fit even if every reservation settled, so only the window's reset helps.
 *   A reserved request always becomes a used one (every call counts one request), so a request limit
 *   is used up as soon as used + reserved is at the limit;
 * - `reserved`: it fits what is used, but not what calls in flight hold; their estimates are upper
 *   bounds, so the excess comes back when they settle, usually within a second or two.
 */
export type Verdict = "never" | "used_up" | "reserved";

export type LimitCheck = { limit: LimitName; metric: LimitMetric; max: number; used: number; reserved: number; need: number; verdict: Verdict };

/** Every limit of one counter that refuses a call needing `need` (tokens and spend; requests need 1). */
export function refusingLimits(s: CounterState, need: { tokens: number; spend: number }): LimitCheck[] {
  const out: LimitCheck[] = [];
  for (const l of limitFields) {
    if (l.period !== s.period) continue;
    const [max, used, reserved, n] =
      l.metric === "requests" ? [s.limitRequests, s.usedRequests, s.reservedRequests, 1]
      : l.metric === "tokens" ? [s.limitTokens, s.usedTokens, s.reservedTokens, need.tokens]
      : [s.limitSpend, s.usedSpend, s.reservedSpend, need.spend];
    if (max == null || used + reserved + n <= max) continue;
    const verdict: Verdict = n > max ? "never" : l.metric === "requests" || used + n > max ? "used_up" : "reserved";
    out.push({ limit: l.name, metric: l.metric, max, used, reserved, need: n, verdict });
  }
  return out;
}
