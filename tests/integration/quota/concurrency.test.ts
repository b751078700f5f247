// Quotas under real concurrency: 300 simultaneous requests through `next start`,
// then through two `next start` processes on one database, then a restart.
//
// Exactness: every admitted request must cost a known, exact number of tokens,
// and its estimate must equal that cost (otherwise settlement adds overage or
// releases slack, and floor(L / cost) is no longer the right count). The fake
// upstream reports promptTokens = countChatTokens(model, messages), which is
// exactly the gateway's prompt estimate, and completionTokens = max_tokens, so
// estimate == actual == cost for streamed and non-streamed calls alike (the
// gateway always asks the upstream for streamed usage).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { createAccount } from "@/lib/accounts";
import { closeDb } from "@/lib/db";
import { countChatTokens } from "@/lib/providers";
import { createPolicy } from "@/lib/quota";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { startApp, type AppServer } from "../../support/app-server";
import { counters, eventually, newKey, system, unique } from "./helpers";

const MODEL = "quota-conc-model";
const messages = [{ role: "user" as const, content: "Count to five, please." }];
const PROMPT = countChatTokens(MODEL, messages);
const COMPLETION = 7;
const COST = PROMPT + COMPLETION;

type Outcome = { status: number; type?: string; code?: string; retryAfter: string | null; tokens?: number };

async function callOnce(url: string, key: string, i: number): Promise<Outcome> {
  const stream = i % 2 === 0;
  const res = await fetch(`${url}/api/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: MODEL, messages, max_tokens: COMPLETION, stream, ...(stream && i % 4 === 0 ? { stream_options: { include_usage: true } } : {}) }),
  });
  const retryAfter = res.headers.get("retry-after");
  const text = await res.text();
  if (res.status !== 200) {
    const err = JSON.parse(text).error;
    return { status: res.status, type: err.type, code: err.code, retryAfter };
  }
  if (!stream) {
    const u = JSON.parse(text).usage;
    return { status: 200, retryAfter, tokens: u.prompt_tokens + u.completion_tokens };
  }
  expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
  return { status: 200, retryAfter };
}

/** Waits until a window of `windowMs` has at least `marginMs` left, so a test never straddles a reset. */
async function awayFromBoundary(windowMs: number, marginMs: number): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 50));
}

describe("quotas under concurrency", () => {
  let fake: FakeUpstream;
  let app: AppServer;
  let app2: AppServer;
  let sql: pg.Pool;

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL });
    fake = await startFakeUpstream({ defaultBehaviour: { promptTokens: PROMPT, completionTokens: COMPLETION, chunkDelayMs: 2 } });
    await createAccount(system, { name: unique("quota-upstream"), provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-quota-upstream-0001", models: [MODEL] });
    // Both processes start up front: startApp rebuilds when the sources changed, which takes minutes.
    [app, app2] = await Promise.all([startApp(), startApp()]);
  }, 900_000);

  afterAll(async () => {
    await Promise.all([app2?.stop(), app?.stop()]);
    await fake?.close();
    await sql?.end();
    await closeDb();
  });

  const L = COST * 97 + Math.floor(COST / 2);
  let dailyKey: { key: string; id: string };
  let dailyPolicy: string;

  it("never admits more tokens than the daily limit under 300 concurrent requests, mixed streamed and not", async () => {
    await awayFromBoundary(86_400_000, 120_000);
    const k = await newKey();
    dailyKey = k;
    dailyPolicy = (await createPolicy(system, { name: unique("daily-300"), scope: "key", apiKeyId: k.id, tokensPerDay: L })).id;

    const outcomes = await Promise.all(Array.from({ length: 300 }, (_, i) => callOnce(app.url, k.key, i)));
    const admitted = outcomes.filter((o) => o.status === 200);
    const rejected = outcomes.filter((o) => o.status !== 200);
    expect(admitted.length).toBe(Math.floor(L / COST));
    expect(rejected.length).toBe(300 - Math.floor(L / COST));
    for (const r of rejected) expect(r).toMatchObject({ status: 429, type: "insufficient_quota", code: "insufficient_quota" });
    for (const r of rejected) expect(Number(r.retryAfter)).toBeGreaterThan(0);
    for (const a of admitted) if (a.tokens !== undefined) expect(a.tokens).toBe(COST);

    const settled = await eventually(async () => {
      const [c] = await counters(sql, dailyPolicy);
      return c && c.reservedTokens === 0 && c.usedRequests === admitted.length ? c : null;
    });
    expect(settled.usedTokens).toBe(admitted.length * COST);
    expect(settled.usedTokens).toBeLessThanOrEqual(L);
    const { rows } = await sql.query(`SELECT sum("inputTokens" + "outputTokens")::int AS t, count(*)::int AS n FROM "UsageEvent" WHERE "apiKeyId" = $1 AND status = 'ok'`, [k.id]);
    expect(rows[0]).toEqual({ t: admitted.length * COST, n: admitted.length });
  });

  it("rejects per-minute overflow as rate_limit_exceeded with the right count", async () => {
    await awayFromBoundary(60_000, 20_000);
    const k = await newKey();
    await createPolicy(system, { name: unique("rpm-300"), scope: "key", apiKeyId: k.id, requestsPerMinute: 40 });
    const outcomes = await Promise.all(Array.from({ length: 300 }, (_, i) => callOnce(app.url, k.key, i)));
    expect(outcomes.filter((o) => o.status === 200).length).toBe(40);
    for (const r of outcomes.filter((o) => o.status !== 200)) expect(r).toMatchObject({ status: 429, type: "rate_limit_exceeded", code: "requests_per_minute" });
  });

  it("holds the limit across two `next start` processes sharing one database", async () => {
    await awayFromBoundary(86_400_000, 120_000);
    const k = await newKey();
    const limit = COST * 61 + 1;
    const p = await createPolicy(system, { name: unique("two-instances"), scope: "key", apiKeyId: k.id, tokensPerDay: limit });
    const outcomes = await Promise.all(Array.from({ length: 300 }, (_, i) => callOnce(i % 2 ? app.url : app2.url, k.key, i)));
    expect(outcomes.filter((o) => o.status === 200).length).toBe(61);
    for (const r of outcomes.filter((o) => o.status !== 200)) expect(r).toMatchObject({ status: 429, type: expect.stringMatching(/^(insufficient_quota|quota_exceeded)$/) });
    const c = await eventually(async () => {
      const [row] = await counters(sql, p.id);
      return row && row.reservedTokens === 0 && row.usedRequests === 61 ? row : null;
    });
    expect(c.usedTokens).toBe(61 * COST);
    expect(c.usedTokens).toBeLessThanOrEqual(limit);
  });

  it("keeps the counters when the app restarts mid-window", async () => {
    const before = await fetch(`${app.url}/api/quota`, { headers: { authorization: `Bearer ${dailyKey.key}` } }).then((r) => r.json());
    await app.stop();
    app = await startApp();
    const after = await fetch(`${app.url}/api/quota`, { headers: { authorization: `Bearer ${dailyKey.key}` } }).then((r) => r.json());
    const limitOf = (body: { policies: { id: string; limits: { used: number; reserved: number }[] }[] }) => body.policies.find((p) => p.id === dailyPolicy)!.limits[0];
    expect(limitOf(before)).toMatchObject({ used: 97 * COST, reserved: 0 });
    expect(limitOf(after)).toEqual(limitOf(before));
    const again = await callOnce(app.url, dailyKey.key, 1);
    expect(again).toMatchObject({ status: 429, type: "insufficient_quota" });
  }, 900_000);
});
