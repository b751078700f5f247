// Issue 19 §1, §2, §4 (domain, in-process against the real database): workspace budgets in the same
// admission as the key policies, calendar windows in a time zone, soft thresholds and exhaustion
// recorded with their outbox events, and refusals an SDK will not retry.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { closeDb } from "@/lib/db";
import { countChatTokens } from "@/lib/providers";
import { admit, createPolicy, setQuotaClock, stopSweeper } from "@/lib/quota";
import { createApiKey } from "@/lib/auth/api-keys";
import { createWorkspace } from "@/lib/workspaces";
import { AppError, errorBody, type Principal } from "@/lib/core";
import { counters, settle, system, unique } from "./helpers";

const MODEL = "gpt-4o-mini";
const messages = [{ role: "user" as const, content: "How many tokens is this?" }];
const PROMPT = countChatTokens(MODEL, messages);
const chatReq = (max: number) => ({ model: MODEL, messages, max_tokens: max });

async function rejectionOf(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error("expected a rejection");
}

/** A fresh workspace with `n` keys, each as the principal admission sees. */
async function workspaceWithKeys(n: number) {
  const slug = unique("ws").toLowerCase();
  const ws = await createWorkspace(system, { name: slug, slug });
  const inWs: Principal = { kind: "system", name: "test", workspaceId: ws.id };
  const keys = [];
  for (let i = 0; i < n; i++) {
    const { key, row } = await createApiKey(inWs, { name: unique("budget-key"), scopes: ["completions"] });
    const principal: Principal = {
      kind: "apiKey",
      key: { id: row.id, name: row.name, prefix: row.prefix, scopes: row.scopes, expiresAt: null, workspace: { id: ws.id, allowedModels: [] } },
    };
    keys.push({ key, id: row.id, principal });
  }
  return { ws, inWs, keys };
}

type Outbox = { type: string; workspaceId: string; data: Record<string, unknown> };

describe("issue 19: workspace budgets, thresholds and refusals", () => {
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

  const outbox = async (policyId: string): Promise<Outbox[]> =>
    (await sql.query<Outbox>(`SELECT "type", "workspaceId", "data" FROM "OutboxEvent" WHERE "data"->>'policyId' = $1 ORDER BY "createdAt", ("data"->>'threshold')::int`, [policyId])).rows;
  const alerts = async (policyId: string) =>
    (await sql.query<{ kind: string; threshold: number; metric: string; period: string }>(
      `SELECT "kind", "threshold", "metric", "period"::text FROM "QuotaAlert" WHERE "policyId" = $1 ORDER BY "createdAt", "threshold"`, [policyId])).rows;

  it("issue 19 §1: a workspace budget counts every key of the workspace in the same reservation as the key policies, all or none", async () => {
    const { ws, inWs, keys: [a, b] } = await workspaceWithKeys(2);
    setQuotaClock(() => Date.parse("2036-05-10T12:00:00Z"));
    const est = PROMPT + 100;
    const budget = await createPolicy(inWs, { name: unique("team"), scope: "workspace", tokensPerDay: est * 3 });
    const perKey = await createPolicy(inWs, { name: unique("per-key"), scope: "key", apiKeyId: a!.id, tokensPerDay: est * 10 });

    const first = await admit(a!.principal, chatReq(100), { completionId: unique("c") });
    expect(first.reservation?.counters.map((c) => [c.policyId, c.subject]).sort()).toEqual([[budget.id, ws.id], [perKey.id, a!.id]].sort());
    await admit(b!.principal, chatReq(100), { completionId: unique("c") });
    await admit(b!.principal, chatReq(100), { completionId: unique("c") });
    // The workspace is full (3 calls held across two keys): key a's own policy gets nothing of the refused call.
    const err = await rejectionOf(admit(a!.principal, chatReq(100), { completionId: unique("c") }));
    expect(err.status).toBe(429);
    expect(err.details.headers?.["x-promptgate-quota-policy"]).toBe(budget.id);
    expect(await counters(sql, budget.id, ws.id)).toMatchObject([{ reservedTokens: est * 3, reservedRequests: 3 }]);
    expect(await counters(sql, perKey.id, a!.id)).toMatchObject([{ reservedTokens: est, reservedRequests: 1 }]);
    // A workspace budget binds only its own workspace.
    const { keys: [other] } = await workspaceWithKeys(1);
    await expect(admit(other!.principal, chatReq(100), { completionId: unique("c") })).resolves.toEqual({ headers: {}, reservation: null });
  });

  it("issue 19 §1: day and month windows follow the policy's time zone, DST-correct (a 23-hour local day)", async () => {
    const { inWs, keys: [a] } = await workspaceWithKeys(1);
    const est = PROMPT + 10;
    const p = await createPolicy(inWs, { name: unique("ny"), scope: "workspace", tokensPerDay: est, tokensPerMonth: est * 100, timeZone: "America/New_York" });
    // 2033-03-13 is the day New York moves to summer time: local midnight is 05:00Z, the next one 04:00Z.
    setQuotaClock(() => Date.parse("2033-03-13T04:59:59.000Z"));
    const late = await admit(a!.principal, chatReq(10), { completionId: unique("c") });
    expect(late.reservation?.counters.map((c) => [c.period, c.windowStart]).sort()).toEqual([
      ["day", "2033-03-12T05:00:00.000Z"],
      ["month", "2033-03-01T05:00:00.000Z"],
    ]);
    await settle(unique("s"), late.reservation, { inputTokens: PROMPT, outputTokens: 10 });
    setQuotaClock(() => Date.parse("2033-03-13T12:00:00.000Z"));
    const next = await admit(a!.principal, chatReq(10), { completionId: unique("c") });
    expect(next.reservation?.counters.find((c) => c.period === "day")?.windowStart).toBe("2033-03-13T05:00:00.000Z");
    await settle(unique("s"), next.reservation, { inputTokens: PROMPT, outputTokens: 10 });
    const err = await rejectionOf(admit(a!.principal, chatReq(10), { completionId: unique("c") }));
    expect(err.message).toContain("resets at 2033-03-14T04:00:00.000Z");
    expect(err.message).toContain("America/New_York");
    expect(err.details.headers?.["x-promptgate-quota-reset"]).toBe("16h0m0s");
    expect((await counters(sql, p.id)).map((c) => [c.period, c.windowStart.toISOString(), c.usedTokens])).toEqual([
      ["month", "2033-03-01T05:00:00.000Z", est * 2],
      ["day", "2033-03-12T05:00:00.000Z", est],
      ["day", "2033-03-13T05:00:00.000Z", est],
    ]);
  });

  it("issue 19 §2: each threshold fires once per window when used amounts cross it, with its outbox event in the settling transaction", async () => {
    const { ws, inWs, keys: [a, b] } = await workspaceWithKeys(2);
    setQuotaClock(() => Date.parse("2036-06-10T12:00:00Z"));
    const p = await createPolicy(inWs, { name: unique("alerts"), scope: "workspace", tokensPerDay: 1000 });
    const spend = async (key: typeof a, used: number) => {
      const r = await admit(key!.principal, chatReq(used - PROMPT), { completionId: unique("c") });
      await settle(unique("s"), r.reservation, { inputTokens: PROMPT, outputTokens: used - PROMPT });
    };
    await spend(a, 400);
    expect(await alerts(p.id)).toEqual([]);
    await spend(b, 200); // 60%: crosses 50
    await spend(a, 50); // 65%: nothing new
    expect(await alerts(p.id)).toEqual([{ kind: "threshold", threshold: 50, metric: "tokens", period: "day" }]);
    await spend(b, 250); // 90%: crosses 80
    await spend(a, 100); // 100%: crosses 100, and the limit is reached
    expect((await alerts(p.id)).map((x) => `${x.kind}:${x.threshold}`).sort()).toEqual(["exhausted:100", "threshold:100", "threshold:50", "threshold:80"]);
    // A refusal of the exhausted budget does not tell it again.
    expect((await rejectionOf(admit(a!.principal, chatReq(10), { completionId: unique("c") }))).status).toBe(429);

    const events = await outbox(p.id);
    expect(events.map((e) => `${e.type}:${String(e.data.threshold)}`).sort()).toEqual(["budget.exhausted:100", "budget.threshold:100", "budget.threshold:50", "budget.threshold:80"]);
    const eighty = events.find((e) => e.type === "budget.threshold" && e.data.threshold === 80)!;
    expect(eighty.workspaceId).toBe(ws.id);
    expect(eighty.data).toMatchObject({
      workspaceId: ws.id, workspaceSlug: ws.slug, policyId: p.id, policyName: p.name, scope: "workspace", subject: ws.id,
      metric: "tokens", period: "day", threshold: 80, used: 900, limit: 1000,
      windowStart: "2036-06-10T00:00:00.000Z", windowEnd: "2036-06-11T00:00:00.000Z", resetsAt: "2036-06-11T00:00:00.000Z", timeZone: "UTC",
    });
  });

  it("issue 19 §2: a used-up budget that refuses a call is recorded as exhausted once per window, and a new window starts clean", async () => {
    const { inWs, keys: [a] } = await workspaceWithKeys(1);
    let t = Date.parse("2036-07-10T12:00:00Z");
    setQuotaClock(() => t);
    const p = await createPolicy(inWs, { name: unique("exhaust"), scope: "key", tokensPerDay: PROMPT + 300, thresholds: [] });
    const r = await admit(a!.principal, chatReq(200), { completionId: unique("c") });
    await settle(unique("s"), r.reservation, { inputTokens: PROMPT, outputTokens: 200 });
    // 100 tokens left, the call needs PROMPT + 150: used up, not merely reserved.
    for (let i = 0; i < 3; i++) expect((await rejectionOf(admit(a!.principal, chatReq(150), { completionId: unique("c") }))).status).toBe(429);
    expect(await alerts(p.id)).toEqual([{ kind: "exhausted", threshold: 100, metric: "tokens", period: "day" }]);
    expect((await outbox(p.id)).map((e) => [e.type, e.data.subject, e.data.apiKeyId])).toEqual([["budget.exhausted", a!.id, a!.id]]);
    t = Date.parse("2036-07-11T00:00:01Z");
    await admit(a!.principal, chatReq(150), { completionId: unique("c") });
    expect(await alerts(p.id)).toHaveLength(1);
  });

  it("issue 19 §4: an exhausted budget is insufficient_quota with x-should-retry false and names Promptgate's budget and its reset; a reserved one stays retryable", async () => {
    const { inWs, keys: [a] } = await workspaceWithKeys(1);
    setQuotaClock(() => Date.parse("2036-08-10T18:00:00Z"));
    const p = await createPolicy(inWs, { name: unique("month-budget"), scope: "workspace", tokensPerMonth: (PROMPT + 100) * 2 });
    const held = await admit(a!.principal, chatReq(100), { completionId: unique("c") });
    const second = await admit(a!.principal, chatReq(100), { completionId: unique("c") });
    // Held by calls in flight, not used: retryable, as before.
    const reserved = await rejectionOf(admit(a!.principal, chatReq(100), { completionId: unique("c") }));
    expect(reserved.details.extra?.code).toBe("tokens_per_month_reserved");
    expect(reserved.details.headers?.["x-should-retry"]).toBeUndefined();
    expect(Number(reserved.details.headers?.["retry-after"])).toBeGreaterThan(0);
    await settle(unique("s"), held.reservation, { inputTokens: PROMPT, outputTokens: 100 });
    await settle(unique("s"), second.reservation, { inputTokens: PROMPT, outputTokens: 100 });

    const err = await rejectionOf(admit(a!.principal, chatReq(100), { completionId: unique("c") }));
    expect(err.status).toBe(429);
    expect(err.details.type).toBe("insufficient_quota");
    expect(err.details.extra).toEqual({ code: "insufficient_quota", limit: "tokens_per_month" });
    expect(err.details.headers).toMatchObject({ "x-should-retry": "false", "x-promptgate-quota-policy": p.id, "x-promptgate-quota-limit": "tokens_per_month" });
    expect(Number(err.details.headers?.["retry-after"])).toBeGreaterThan(0);
    for (const part of ["Promptgate budget exhausted", "workspace budget", p.name, "tokens_per_month", "not your model provider's quota", "resets at 2036-09-01T00:00:00.000Z"]) {
      expect(err.message).toContain(part);
    }
    expect(errorBody(err, "openai")).toMatchObject({ error: { type: "insufficient_quota", code: "insufficient_quota", message: err.message } });
    expect(errorBody(err, "anthropic")).toMatchObject({ type: "error", error: { type: "rate_limit_error", message: err.message } });

    // A per-minute rate limit stays a retryable 429.
    const rl = await workspaceWithKeys(1);
    const rpm = await createPolicy(rl.inWs, { name: unique("rpm"), scope: "key", requestsPerMinute: 1 });
    await admit(rl.keys[0]!.principal, chatReq(5), { completionId: unique("c") });
    const limited = await rejectionOf(admit(rl.keys[0]!.principal, chatReq(5), { completionId: unique("c") }));
    expect(limited.code).toBe("rate_limit_exceeded");
    expect(limited.details.extra?.code).toBe("requests_per_minute");
    expect(limited.details.headers?.["x-should-retry"]).toBeUndefined();
    expect(limited.details.headers?.["retry-after"]).toBeDefined();
    expect(limited.details.headers?.["x-promptgate-quota-policy"]).toBe(rpm.id);
  });
});
