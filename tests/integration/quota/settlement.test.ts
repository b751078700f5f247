// Settlement of real gateway calls through `next start`: rate-limit headers on
// a sequence of calls, aborted streams, upstream failures.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { createAccount } from "@/lib/accounts";
import { closeDb } from "@/lib/db";
import { countChatTokens } from "@/lib/providers";
import { createPolicy } from "@/lib/quota";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { startApp, type AppServer } from "../../support/app-server";
import { counters, eventually, newKey, system, unique } from "./helpers";
import { usageEventOf } from "../../support/eventually";

const MODEL = "quota-settle-model";
const messages = [{ role: "user" as const, content: "Stream me some tokens." }];
const PROMPT = countChatTokens(MODEL, messages);

type UsageRow = { status: string; inputTokens: number; outputTokens: number };

describe("quota settlement of gateway calls", () => {
  let fake: FakeUpstream;
  let app: AppServer;
  let sql: pg.Pool;

  const post = (key: string, body: Record<string, unknown>, signal?: AbortSignal) =>
    fetch(`${app.url}/api/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages, ...body }),
      signal,
    });

  const usageOf = (completionId: string) => usageEventOf<UsageRow>(sql, completionId);


  async function settledCounter(policyId: string) {
    return eventually(async () => {
      const [c] = await counters(sql, policyId);
      return c && c.reservedRequests === 0 && c.usedRequests > 0 ? c : null;
    });
  }

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL });
    fake = await startFakeUpstream();
    await createAccount(system, {
      name: unique("quota-settle-upstream"), provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-quota-upstream-0002", models: [MODEL],
      firstByteTimeoutMs: 2000, idleTimeoutMs: 5000,
    });
    app = await startApp({ GATEWAY_RETRY_BASE_MS: "10", GATEWAY_ATTEMPTS_PER_ACCOUNT: "1" });
  }, 600_000);

  afterAll(async () => {
    await app?.stop();
    await fake?.close();
    await sql?.end();
    await closeDb();
  });

  it("sends x-ratelimit headers that count down across a sequence of calls", async () => {
    if (60_000 - (Date.now() % 60_000) < 15_000) await new Promise((r) => setTimeout(r, 60_000 - (Date.now() % 60_000) + 50));
    const k = await newKey();
    const cost = PROMPT + 5;
    await createPolicy(system, { name: unique("headers"), scope: "key", apiKeyId: k.id, requestsPerMinute: 10, tokensPerMinute: cost * 100 });
    // A looser daily policy must not be the one reported.
    await createPolicy(system, { name: unique("headers-day"), scope: "key", apiKeyId: k.id, tokensPerDay: cost * 1000 });
    const seen: Record<string, string | null>[] = [];
    for (let i = 0; i < 3; i++) {
      fake.enqueue({ promptTokens: PROMPT, completionTokens: 5 });
      const res = await post(k.key, { max_tokens: 5, stream: i === 1 });
      await res.text();
      expect(res.status).toBe(200);
      seen.push(Object.fromEntries(["limit-requests", "remaining-requests", "reset-requests", "limit-tokens", "remaining-tokens", "reset-tokens"].map((h) => [h, res.headers.get(`x-ratelimit-${h}`)])));
    }
    expect(seen.map((h) => h["remaining-requests"])).toEqual(["9", "8", "7"]);
    expect(seen.map((h) => h["remaining-tokens"])).toEqual([cost * 99, cost * 98, cost * 97].map(String));
    for (const h of seen) {
      expect(h).toMatchObject({ "limit-requests": "10", "limit-tokens": String(cost * 100) });
      expect(h["reset-requests"]).toMatch(/^\d+s$|^1m0s$/);
    }
  });

  it("settles an aborted stream with only the tokens it streamed", async () => {
    const k = await newKey();
    const p = await createPolicy(system, { name: unique("abort"), scope: "key", apiKeyId: k.id, tokensPerDay: 1_000_000 });
    fake.enqueue({ promptTokens: PROMPT, completionTokens: 200, chunkDelayMs: 30 });
    const ctrl = new AbortController();
    const res = await post(k.key, { max_tokens: 200, stream: true }, ctrl.signal);
    const id = res.headers.get("x-promptgate-completion-id")!;
    const reader = res.body!.getReader();
    let frames = 0;
    while (frames < 5) {
      const { value } = await reader.read();
      frames += (new TextDecoder().decode(value).match(/^data: /gm) ?? []).length;
    }
    ctrl.abort();
    await fake.waitForAbort(5000);

    const u = await usageOf(id);
    expect(u.status).toBe("client_aborted");
    expect(u.outputTokens).toBeGreaterThan(0);
    expect(u.outputTokens).toBeLessThan(50);
    const c = await settledCounter(p.id);
    expect(c).toMatchObject({ usedTokens: u.inputTokens + u.outputTokens, reservedTokens: 0, usedRequests: 1 });
  });

  it("settles an upstream failure with what it consumed: nothing before the first byte, the streamed part after", async () => {
    const k = await newKey();
    const p = await createPolicy(system, { name: unique("fail"), scope: "key", apiKeyId: k.id, tokensPerDay: 1_000_000 });
    fake.enqueue({ status: 500 });
    const failed = await post(k.key, { max_tokens: 100 });
    expect(failed.status).toBe(502);
    await failed.text();
    const u1 = await usageOf(failed.headers.get("x-promptgate-completion-id")!);
    expect(u1).toMatchObject({ status: "upstream_error", inputTokens: 0, outputTokens: 0 });
    const c1 = await settledCounter(p.id);
    expect(c1).toMatchObject({ usedTokens: 0, reservedTokens: 0, usedRequests: 1 });

    fake.enqueue({ promptTokens: PROMPT, completionTokens: 40, streamErrorAfterChunks: 6 });
    const broken = await post(k.key, { max_tokens: 100, stream: true });
    const text = await broken.text();
    expect(text).toContain('"error"');
    const u2 = await usageOf(broken.headers.get("x-promptgate-completion-id")!);
    expect(u2.status).toBe("upstream_error");
    expect(u2.outputTokens).toBeGreaterThan(0);
    const c2 = await eventually(async () => {
      const [c] = await counters(sql, p.id);
      return c && c.usedRequests === 2 && c.reservedRequests === 0 ? c : null;
    });
    expect(c2).toMatchObject({ usedTokens: u2.inputTokens + u2.outputTokens, reservedTokens: 0 });
  });

  it("answers 429 with the OpenAI envelope, Retry-After and the policy's name", async () => {
    const k = await newKey();
    const p = await createPolicy(system, { name: unique("tiny"), scope: "key", apiKeyId: k.id, tokensPerMonth: PROMPT + 3 });
    fake.enqueue({ promptTokens: PROMPT, completionTokens: 3 });
    expect((await post(k.key, { max_tokens: 3 })).status).toBe(200);
    const res = await post(k.key, { max_tokens: 3 });
    expect(res.status).toBe(429);
    const body = await res.json();
    // issue 19 §2: a used-up budget is OpenAI's insufficient_quota; the limit is named in a header.
    expect(body.error).toMatchObject({ type: "insufficient_quota", code: "insufficient_quota", param: null });
    expect(res.headers.get("x-promptgate-quota-limit")).toBe("tokens_per_month");
    expect(body.error.message).toContain(p.name);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(res.headers.get("x-promptgate-quota-policy")).toBe(p.id);
    expect(res.headers.get("x-ratelimit-remaining-tokens")).toBe("0");
  });
});
