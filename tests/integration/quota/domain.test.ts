// The quota domain against the real database, in-process: admission with an
// injected clock, settlement through the real usage writer, the sweeper.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { closeDb } from "@/lib/db";
import { countChatTokens } from "@/lib/providers";
import { admit, createPolicy, setQuotaClock, stopSweeper, sweepQuotas, updatePolicy, type Reservation } from "@/lib/quota";
import { AppError } from "@/lib/core";
import { counters, newKey, settle, system, unique } from "./helpers";

const MODEL = "gpt-4o-mini";
const messages = [{ role: "user" as const, content: "How many tokens is this?" }];
const PROMPT = countChatTokens(MODEL, messages);
const chatReq = (max: number, extra: Record<string, unknown> = {}) => ({ model: MODEL, messages, max_tokens: max, ...extra });

async function rejectionOf(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error("expected a rejection");
}

describe("quota domain", () => {
  let sql: pg.Pool;
  beforeAll(() => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL });
  });
  afterEach(() => {
    setQuotaClock();
    stopSweeper();
  });
  afterAll(async () => {
    await sql.end();
    await closeDb();
  });

  it("reserves on every matching policy or on none", async () => {
    const k = await newKey();
    const model = unique("allornothing-model");
    const daily = await createPolicy(system, { name: unique("daily"), scope: "key", apiKeyId: k.id, tokensPerDay: 100 });
    const perModel = await createPolicy(system, { name: unique("model-wide"), scope: "model", model, tokensPerMinute: 10_000 });
    const req = { model, messages, max_tokens: 60 - countChatTokens(model, messages) };
    const first = await admit(k.principal, req, { completionId: unique("c") });
    expect(first.reservation?.counters).toHaveLength(2);
    const err = await rejectionOf(admit(k.principal, req, { completionId: unique("c") }));
    expect(err.status).toBe(429);
    expect(err.code).toBe("quota_exceeded");
    // The model-wide counter holds only the first call: the refused one reserved nothing anywhere.
    expect((await counters(sql, perModel.id))[0]).toMatchObject({ reservedTokens: 60, reservedRequests: 1 });
    expect((await counters(sql, daily.id))[0]).toMatchObject({ reservedTokens: 60, reservedRequests: 1 });
  });

  it("names the policy and limit, and tells per-minute rate limits from quotas", async () => {
    const k = await newKey();
    const p = await createPolicy(system, { name: unique("rpm"), scope: "key", apiKeyId: k.id, requestsPerMinute: 1 });
    setQuotaClock(() => Date.parse("2031-03-04T10:20:45.000Z"));
    await admit(k.principal, chatReq(5), { completionId: unique("c") });
    const err = await rejectionOf(admit(k.principal, chatReq(5), { completionId: unique("c") }));
    expect(err.code).toBe("rate_limit_exceeded");
    expect(err.details.extra?.code).toBe("requests_per_minute");
    expect(err.message).toContain(p.name);
    expect(err.message).toContain(p.id);
    expect(err.details.headers?.["retry-after"]).toBe("15");
    expect(err.details.headers?.["x-ratelimit-remaining-requests"]).toBe("0");
    expect(err.details.headers?.["x-ratelimit-reset-requests"]).toBe("15s");
  });

  it("resets minute, day and month windows exactly at their UTC boundaries", async () => {
    const k = await newKey();
    const cost = PROMPT + 10;
    await createPolicy(system, { name: unique("minute"), scope: "key", apiKeyId: k.id, tokensPerMinute: cost });
    const day = await createPolicy(system, { name: unique("day"), scope: "key", apiKeyId: k.id, tokensPerDay: cost * 2 });
    const month = await createPolicy(system, { name: unique("month"), scope: "key", apiKeyId: k.id, tokensPerMonth: cost * 10 });
    let t = Date.parse("2032-01-31T23:58:59.999Z");
    setQuotaClock(() => t);
    // Each call settles at its estimate, so a full window is used up, not merely reserved (faults #14.5:
    // a limit held only by reservations is refused with its own code, after a short wait).
    const call = async () => {
      const { reservation } = await admit(k.principal, chatReq(10), { completionId: unique("c") });
      await settle(unique("s"), reservation, { inputTokens: PROMPT, outputTokens: 10 });
    };

    await call();
    expect((await rejectionOf(call())).details.extra?.code).toBe("tokens_per_minute");
    t = Date.parse("2032-01-31T23:59:00.000Z"); // next minute, same day
    await call();
    // The minute and the day are both full and both reset at midnight: the day is what binds.
    const dayErr = await rejectionOf(call());
    expect(dayErr.details.extra?.limit).toBe("tokens_per_day");
    expect(dayErr.code).toBe("quota_exceeded");
    expect(dayErr.details.headers?.["retry-after"]).toBe("60");
    t = Date.parse("2032-01-31T23:59:59.999Z");
    expect((await rejectionOf(call())).details.extra?.limit).toBe("tokens_per_day");
    t = Date.parse("2032-02-01T00:00:00.000Z"); // new day and new month
    await call();
    await expect(counters(sql, day.id)).resolves.toHaveLength(2);
    const monthRows = await counters(sql, month.id);
    expect(monthRows.map((r) => [r.windowStart.toISOString(), r.usedTokens])).toEqual([
      ["2032-01-01T00:00:00.000Z", cost * 2],
      ["2032-02-01T00:00:00.000Z", cost],
    ]);
  });

  it("settles the actual usage: releases the unused estimate and adds overage", async () => {
    const k = await newKey();
    const p = await createPolicy(system, { name: unique("settle"), scope: "key", apiKeyId: k.id, tokensPerDay: 100_000, requestsPerMinute: 100 });
    const a = await admit(k.principal, chatReq(100), { completionId: unique("c") });
    const b = await admit(k.principal, chatReq(100), { completionId: unique("c") });
    const est = PROMPT + 100;
    expect((await counters(sql, p.id)).find((c) => c.period === "day")).toMatchObject({ reservedTokens: 2 * est, usedTokens: 0 });
    await settle(unique("done"), a.reservation, { inputTokens: PROMPT, outputTokens: 20 });
    await settle(unique("done"), b.reservation, { inputTokens: PROMPT, outputTokens: 250 });
    const rows = await counters(sql, p.id);
    expect(rows.find((c) => c.period === "day")).toMatchObject({ reservedTokens: 0, usedTokens: 2 * PROMPT + 270, reservedRequests: 0, usedRequests: 2 });
    expect(rows.find((c) => c.period === "minute")).toMatchObject({ reservedRequests: 0, usedRequests: 2 });
  });

  it("settles an event once even when its batch is written again", async () => {
    const k = await newKey();
    const p = await createPolicy(system, { name: unique("once"), scope: "key", apiKeyId: k.id, tokensPerDay: 100_000 });
    const a = await admit(k.principal, chatReq(50), { completionId: unique("c") });
    const id = unique("dup");
    await settle(id, a.reservation, { inputTokens: PROMPT, outputTokens: 50 });
    await settle(id, a.reservation, { inputTokens: PROMPT, outputTokens: 50 });
    expect((await counters(sql, p.id))[0]).toMatchObject({ usedTokens: PROMPT + 50, reservedTokens: 0, usedRequests: 1 });
  });

  it("reclaims expired reservations, and a late settlement then adds only its usage", async () => {
    const k = await newKey();
    const p = await createPolicy(system, { name: unique("sweep"), scope: "key", apiKeyId: k.id, tokensPerDay: 100_000 });
    let t = Date.parse("2033-05-05T05:00:00.000Z");
    setQuotaClock(() => t);
    const old = await admit(k.principal, chatReq(10), { completionId: unique("c") });
    t += 100_000;
    const fresh = await admit(k.principal, chatReq(500), { completionId: unique("c") });
    expect((await counters(sql, p.id))[0]?.reservedTokens).toBe(2 * PROMPT + 510);

    // Past the first one's expiry (TTL 120 s), not the second's.
    expect(await sweepQuotas(t + 30_000)).toBeGreaterThanOrEqual(1);
    expect((await counters(sql, p.id))[0]).toMatchObject({ reservedTokens: PROMPT + 500, reservedRequests: 1 });

    await settle(unique("late"), old.reservation, { inputTokens: PROMPT, outputTokens: 7 });
    expect((await counters(sql, p.id))[0]).toMatchObject({ reservedTokens: PROMPT + 500, usedTokens: PROMPT + 7, usedRequests: 1 });
    await settle(unique("ok"), fresh.reservation, { inputTokens: PROMPT, outputTokens: 500 });
    expect((await counters(sql, p.id))[0]).toMatchObject({ reservedTokens: 0, reservedRequests: 0, usedTokens: 2 * PROMPT + 507 });
  });

  it("estimates with the policy's default cap when max_tokens is absent, and can require max_tokens", async () => {
    const k = await newKey();
    const p = await createPolicy(system, { name: unique("cap"), scope: "key", apiKeyId: k.id, tokensPerDay: 100_000, defaultMaxTokens: 321 });
    const a = await admit(k.principal, { model: MODEL, messages, n: 2 }, { completionId: unique("c") });
    expect((a.reservation as Reservation).counters[0]?.tokens).toBe(PROMPT + 642);
    await updatePolicy(system, p.id, { requireMaxTokens: true });
    const err = await rejectionOf(admit(k.principal, { model: MODEL, messages }, { completionId: unique("c") }));
    expect(err.status).toBe(400);
    expect(err.details.param).toBe("max_tokens");
    await expect(admit(k.principal, chatReq(5), { completionId: unique("c") })).resolves.toMatchObject({ reservation: expect.anything() });
  });

  it("counts end users separately under a per-user policy, and skips calls without a user", async () => {
    const k = await newKey();
    const p = await createPolicy(system, { name: unique("per-user"), scope: "user", apiKeyId: k.id, requestsPerMinute: 1 });
    setQuotaClock(() => Date.parse("2034-01-01T00:00:10Z"));
    await admit(k.principal, chatReq(5, { user: "ana" }), { completionId: unique("c") });
    await admit(k.principal, chatReq(5, { user: "bo" }), { completionId: unique("c") });
    expect((await rejectionOf(admit(k.principal, chatReq(5, { user: "ana" }), { completionId: unique("c") }))).status).toBe(429);
    await expect(admit(k.principal, chatReq(5), { completionId: unique("c") })).resolves.toEqual({ headers: {}, reservation: null });
    expect((await counters(sql, p.id)).length).toBe(2);
  });

  it("embeddings #17.3: a call that states its input tokens reserves exactly them, with no output budget and no max_tokens to require", async () => {
    const k = await newKey();
    const p = await createPolicy(system, { name: unique("embed-tokens"), scope: "key", apiKeyId: k.id, tokensPerDay: 1_000, requireMaxTokens: true });
    setQuotaClock(() => Date.parse("2034-06-01T10:00:00Z"));
    let counted = 0;
    const sized = { model: "text-embedding-3-small", user: "ana", inputTokens: () => (counted++, 600) };
    const a = await admit(k.principal, sized, { completionId: unique("c") });
    expect((a.reservation as Reservation).counters.map((c) => c.tokens)).toEqual([600]);
    expect(counted).toBe(1);
    // 600 held + 600 more would pass the 1,000 limit: refused while the first is in flight.
    const err = await rejectionOf(admit(k.principal, sized, { completionId: unique("c") }));
    expect(err.status).toBe(429);
    expect(err.details.extra?.code).toBe("tokens_per_day_reserved");
    expect((await counters(sql, p.id))[0]).toMatchObject({ reservedTokens: 600, reservedRequests: 1 });
    // Without a matching policy the input is never counted.
    const other = await newKey();
    counted = 0;
    await expect(admit(other.principal, sized, { completionId: unique("c") })).resolves.toEqual({ headers: {}, reservation: null });
    expect(counted).toBe(0);
  });

  it("stops enforcing a disabled policy at once", async () => {
    const k = await newKey();
    const p = await createPolicy(system, { name: unique("disable"), scope: "key", apiKeyId: k.id, requestsPerMinute: 1 });
    setQuotaClock(() => Date.parse("2035-01-01T00:00:10Z"));
    await admit(k.principal, chatReq(5), { completionId: unique("c") });
    expect((await rejectionOf(admit(k.principal, chatReq(5), { completionId: unique("c") }))).status).toBe(429);
    await updatePolicy(system, p.id, { enabled: false });
    await expect(admit(k.principal, chatReq(5), { completionId: unique("c") })).resolves.toEqual({ headers: {}, reservation: null });
  });
});
