import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  completionBudget, errorKind, formatDuration, periodsOf, rateLimitHeaders, refusingLimits, subjectFor, windowEnd, windowStart, type CounterState,
} from "@/lib/quota/windows";
import { createQuotaPolicyInput, updateQuotaPolicyInput } from "@/lib/quota/schemas";

const iso = (t: number) => new Date(t).toISOString();

describe("quota windows", () => {
  it("aligns minute, day and month windows to UTC boundaries", () => {
    const t = Date.parse("2026-02-28T23:59:59.999Z");
    expect(iso(windowStart("minute", t))).toBe("2026-02-28T23:59:00.000Z");
    expect(iso(windowEnd("minute", t))).toBe("2026-03-01T00:00:00.000Z");
    expect(iso(windowStart("day", t))).toBe("2026-02-28T00:00:00.000Z");
    expect(iso(windowEnd("day", t))).toBe("2026-03-01T00:00:00.000Z");
    expect(iso(windowStart("month", t))).toBe("2026-02-01T00:00:00.000Z");
    expect(iso(windowEnd("month", t))).toBe("2026-03-01T00:00:00.000Z");
    // Leap year February, and December rolling into the next year.
    expect(iso(windowEnd("month", Date.parse("2028-02-10T00:00:00Z")))).toBe("2028-03-01T00:00:00.000Z");
    expect(iso(windowEnd("month", Date.parse("2026-12-31T12:00:00Z")))).toBe("2027-01-01T00:00:00.000Z");
    expect(iso(windowStart("day", Date.parse("2026-03-01T00:00:00.000Z")))).toBe("2026-03-01T00:00:00.000Z");
  });

  it("puts every instant inside exactly one window of each kind", () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.parse("2000-01-01"), max: Date.parse("2100-01-01") }), fc.constantFrom("minute", "day", "month" as const), (t, p) => {
        const s = windowStart(p, t);
        const e = windowEnd(p, t);
        expect(s).toBeLessThanOrEqual(t);
        expect(t).toBeLessThan(e);
        expect(windowStart(p, e)).toBe(e);
        expect(windowStart(p, e - 1)).toBe(s);
      }),
    );
  });

  it("formats reset durations the way OpenAI does", () => {
    expect(formatDuration(250)).toBe("250ms");
    expect(formatDuration(1000)).toBe("1s");
    expect(formatDuration(17_200)).toBe("18s");
    expect(formatDuration(360_000)).toBe("6m0s");
    expect(formatDuration(3600_000 * 3 + 121_000)).toBe("3h2m1s");
  });
});

describe("policy matching", () => {
  const call = { apiKeyId: "k1", endUser: "ana", model: "gpt-4o-mini" };
  it("derives the counter's subject from the scope", () => {
    expect(subjectFor({ scope: "key", apiKeyId: "k1", endUser: null, model: null }, call)).toBe("k1");
    expect(subjectFor({ scope: "key", apiKeyId: null, endUser: null, model: null }, call)).toBe("k1");
    expect(subjectFor({ scope: "key", apiKeyId: "k2", endUser: null, model: null }, call)).toBeNull();
    expect(subjectFor({ scope: "user", apiKeyId: "k1", endUser: null, model: null }, call)).toBe("k1:ana");
    expect(subjectFor({ scope: "user", apiKeyId: "k1", endUser: "bo", model: null }, call)).toBeNull();
    expect(subjectFor({ scope: "user", apiKeyId: "k1", endUser: null, model: null }, { ...call, endUser: null })).toBeNull();
    expect(subjectFor({ scope: "model", apiKeyId: null, endUser: null, model: "gpt-4o*" }, call)).toBe("");
    expect(subjectFor({ scope: "model", apiKeyId: null, endUser: null, model: "gpt-4o" }, call)).toBeNull();
    expect(subjectFor({ scope: "key_model", apiKeyId: null, endUser: null, model: "gpt-4o-mini" }, call)).toBe("k1");
    // A console call (no key) meets only model-wide policies.
    expect(subjectFor({ scope: "key", apiKeyId: null, endUser: null, model: null }, { ...call, apiKeyId: null })).toBeNull();
    expect(subjectFor({ scope: "model", apiKeyId: null, endUser: null, model: "gpt-4o-mini" }, { ...call, apiKeyId: null })).toBe("");
  });

  it("counts only the windows a policy limits", () => {
    const none = { requestsPerMinute: null, tokensPerMinute: null, tokensPerDay: null, tokensPerMonth: null, spendPerDayUsd: null, spendPerMonthUsd: null };
    expect(periodsOf({ ...none, tokensPerDay: 5 })).toEqual(["day"]);
    expect(periodsOf({ ...none, requestsPerMinute: 1, spendPerMonthUsd: 2 })).toEqual(["minute", "month"]);
  });

  it("estimates completion tokens from max_tokens, then the policy cap, then the default, times n", () => {
    expect(completionBudget({ max_tokens: 100 }, { defaultMaxTokens: 5 })).toBe(100);
    expect(completionBudget({ max_completion_tokens: 70, max_tokens: 100 }, { defaultMaxTokens: 5 })).toBe(70);
    expect(completionBudget({}, { defaultMaxTokens: 5 })).toBe(5);
    expect(completionBudget({ n: 3 }, { defaultMaxTokens: 5 })).toBe(15);
    expect(completionBudget({}, { defaultMaxTokens: null })).toBe(4096);
  });

  it("calls per-minute limits rate limits and the rest quotas", () => {
    expect(errorKind("requests_per_minute")).toBe("rate_limit_exceeded");
    expect(errorKind("tokens_per_minute")).toBe("rate_limit_exceeded");
    expect(errorKind("tokens_per_day")).toBe("quota_exceeded");
    expect(errorKind("spend_per_month")).toBe("quota_exceeded");
  });
});

describe("rate-limit headers", () => {
  const at = Date.parse("2026-05-05T10:00:30Z");
  const base: CounterState = {
    policyId: "p", period: "minute", windowStart: Date.parse("2026-05-05T10:00:00Z"), limitRequests: null, limitTokens: null, limitSpend: null,
    usedRequests: 0, reservedRequests: 0, usedTokens: 0, reservedTokens: 0, usedSpend: 0, reservedSpend: 0,
  };
  it("reports the counter with the fewest left for each kind, with its reset", () => {
    const h = rateLimitHeaders([
      { ...base, limitRequests: 100, usedRequests: 10, reservedRequests: 2, limitTokens: 10_000, usedTokens: 500 },
      { ...base, period: "day", windowStart: Date.parse("2026-05-05T00:00:00Z"), limitTokens: 1000, usedTokens: 900, reservedTokens: 50 },
    ], at);
    expect(h).toEqual({
      "x-ratelimit-limit-requests": "100", "x-ratelimit-remaining-requests": "88", "x-ratelimit-reset-requests": "30s",
      "x-ratelimit-used-requests": "10", "x-ratelimit-reserved-requests": "2",
      "x-ratelimit-limit-tokens": "1000", "x-ratelimit-remaining-tokens": "50", "x-ratelimit-reset-tokens": "13h59m30s",
      "x-ratelimit-used-tokens": "900", "x-ratelimit-reserved-tokens": "50",
    });
  });
  it("never reports a negative remainder, and omits kinds no policy limits", () => {
    const h = rateLimitHeaders([{ ...base, limitTokens: 10, usedTokens: 25 }], at);
    expect(h).toEqual({
      "x-ratelimit-limit-tokens": "10", "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "30s",
      "x-ratelimit-used-tokens": "25", "x-ratelimit-reserved-tokens": "0",
    });
  });
});

describe("faults #14.5: why a limit refuses a call", () => {
  const day: CounterState = {
    policyId: "p", period: "day", windowStart: Date.parse("2026-05-05T00:00:00Z"), limitRequests: null, limitTokens: 20_000, limitSpend: 1,
    usedRequests: 0, reservedRequests: 0, usedTokens: 192, reservedTokens: 19_792, usedSpend: 0, reservedSpend: 0,
  };
  const need = { tokens: 64, spend: 0 };
  it("tells a limit held only by reservations from one used up, and a call larger than the limit", () => {
    // The finding's body: "used 192, reserved … 19792, this request needs 64".
    expect(refusingLimits(day, need)).toEqual([
      { limit: "tokens_per_day", metric: "tokens", max: 20_000, used: 192, reserved: 19_792, need: 64, verdict: "reserved" },
    ]);
    expect(refusingLimits({ ...day, usedTokens: 19_950, reservedTokens: 0 }, need).map((c) => c.verdict)).toEqual(["used_up"]);
    expect(refusingLimits({ ...day, reservedTokens: 0 }, { tokens: 20_001, spend: 0 }).map((c) => c.verdict)).toEqual(["never"]);
    expect(refusingLimits({ ...day, reservedTokens: 0 }, need)).toEqual([]);
    // Spend is judged the same way, alongside tokens.
    expect(refusingLimits({ ...day, reservedTokens: 0, usedSpend: 0.5, reservedSpend: 0.49 }, { tokens: 64, spend: 0.02 })).toMatchObject([
      { limit: "spend_per_day", verdict: "reserved" },
    ]);
  });
  it("counts a reserved request as used: every call, however it ends, counts one request", () => {
    const minute: CounterState = { ...day, period: "minute", limitRequests: 2, limitTokens: null, limitSpend: null, usedRequests: 1, reservedRequests: 1 };
    expect(refusingLimits(minute, need)).toMatchObject([{ limit: "requests_per_minute", verdict: "used_up" }]);
  });
});

describe("policy input", () => {
  it("requires a limit and the fields the scope needs", () => {
    expect(createQuotaPolicyInput.safeParse({ name: "a", scope: "key" }).success).toBe(false);
    expect(createQuotaPolicyInput.safeParse({ name: "a", scope: "key", tokensPerDay: 1 }).success).toBe(true);
    expect(createQuotaPolicyInput.safeParse({ name: "a", scope: "key_model", tokensPerDay: 1 }).success).toBe(false);
    expect(createQuotaPolicyInput.safeParse({ name: "a", scope: "key", endUser: "x", tokensPerDay: 1 }).success).toBe(false);
    expect(createQuotaPolicyInput.safeParse({ name: "a", scope: "model", model: "gpt-4o*", spendPerDayUsd: 2.5 }).success).toBe(true);
    expect(createQuotaPolicyInput.safeParse({ name: "a", scope: "model", model: "gp*t", spendPerDayUsd: 2.5 }).success).toBe(false);
    expect(updateQuotaPolicyInput.safeParse({ tokensPerDay: null }).success).toBe(true);
  });
});
