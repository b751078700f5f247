import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import pg from "pg";
import { createAccount } from "@/lib/accounts";
import { createApiKey, setKeyCacheEnabled } from "@/lib/auth/api-keys";
import { closeDb } from "@/lib/db";
import { pruneCache } from "@/lib/gateway";
import { createPolicy, stopSweeper } from "@/lib/quota";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { startApp, type AppServer } from "../../support/app-server";
import { eventually, usageEventOf } from "../../support/eventually";

const system = { kind: "system", name: "test" } as const;
const TTL_SECONDS = 3;
const run = Date.now().toString(36);
const MODEL = `cache-model-${run}`;

type UsageRow = { status: string; cached: boolean; costUsd: string; inputTokens: number; outputTokens: number; accountId: string | null; apiKeyId: string | null; metadata: Record<string, unknown> | null };

describe("response cache (x-promptgate-cache)", () => {
  let app: AppServer;
  let fake: FakeUpstream;
  let sql: pg.Pool;
  let keyA: string;
  let keyB: string;
  let keyQ: string;
  let keyQId: string;
  const keyIds = new Map<string, string>();
  let n = 0;

  const ask = (extra: Record<string, unknown> = {}) => ({
    model: MODEL, temperature: 0, messages: [{ role: "user", content: `question ${run}-${++n}` }], ...extra,
  });

  async function post(key: string, body: Record<string, unknown>, cache = true, expectEntry = true) {
    const res = await fetch(`${app.url}/api/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...(cache ? { "x-promptgate-cache": "on" } : {}) },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    // Entries are written after the response, off the client's path: wait for a miss's entry so the next call can hit.
    if (expectEntry && res.headers.get("x-promptgate-cache") === "miss" && body.temperature === 0) await entryStored(key, res.headers.get("x-promptgate-completion-id")!);
    return { res, text };
  }

  const entryStored = (key: string, completionId: string) =>
    eventually(
      async () => (await sql.query(`SELECT 1 FROM "ResponseCache" WHERE "apiKeyId" = $1 AND "createdAt" >= (SELECT "createdAt" FROM "UsageEvent" WHERE "completionId" = $2)`, [keyIds.get(key), completionId])).rows.length,
      10_000,
      `a cache entry after ${completionId}`,
    );

  const usageOf = (completionId: string) => usageEventOf<UsageRow>(sql, completionId);

  function sseFrames(text: string): string[] {
    expect(text.endsWith("\n\n")).toBe(true);
    return text.trim().split("\n\n").map((f) => {
      expect(f.startsWith("data: ")).toBe(true);
      return f.slice("data: ".length);
    });
  }

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL });
    fake = await startFakeUpstream();
    await createAccount(system, { name: `cache-${run}`, provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-upstream-cache-0001", models: [`${MODEL}*`] });
    await sql.query(`INSERT INTO "ModelPrice" (model, "inputPerMTok", "outputPerMTok", "effectiveFrom") VALUES ($1, 1000, 1000, now() - interval '1 hour')`, [MODEL]);
    const mk = async (name: string) => createApiKey(system, { name, scopes: ["completions"] });
    const [a, b, q] = await Promise.all([mk(`cache-a-${run}`), mk(`cache-b-${run}`), mk(`cache-q-${run}`)]);
    keyA = a.key;
    keyB = b.key;
    keyQ = q.key;
    keyQId = q.row.id;
    for (const k of [a, b, q]) keyIds.set(k.key, k.row.id);
    await createPolicy(system, { name: `cache-quota-${run}`, scope: "key", apiKeyId: keyQId, tokensPerDay: 1_000_000 });
    app = await startApp({ CACHE_TTL_SECONDS: String(TTL_SECONDS), CACHE_MAX_ENTRY_BYTES: "4000", ACCOUNT_PROBE_TICK_MS: "3600000", USAGE_FLUSH_MS: "50" });
  }, 180_000);

  afterAll(async () => {
    stopSweeper();
    await app?.stop();
    await fake?.close();
    await sql?.end();
    await closeDb();
  });

  beforeEach(() => fake.reset());

  it("answers a repeated request from the cache: the upstream is called once and the hit has a new completion id", async () => {
    const body = ask();
    fake.enqueue({ content: "The cached answer is forty-two.", promptTokens: 12, completionTokens: 7 });
    const miss = await post(keyA, body);
    expect(miss.res.status).toBe(200);
    expect(miss.res.headers.get("x-promptgate-cache")).toBe("miss");
    const hit = await post(keyA, body);
    expect(hit.res.status).toBe(200);
    expect(hit.res.headers.get("x-promptgate-cache")).toBe("hit");
    expect(fake.requests).toHaveLength(1);
    const [m, h] = [JSON.parse(miss.text), JSON.parse(hit.text)];
    expect(h.choices[0].message.content).toBe("The cached answer is forty-two.");
    expect(h.choices).toEqual(m.choices);
    expect(h.id).toMatch(/^chatcmpl-/);
    expect(h.id).not.toBe(m.id);
    expect(hit.res.headers.get("x-promptgate-completion-id")).toBe(h.id);
  });

  it("ignores stream, stream_options, user and metadata in the key, and replays a hit as a well-formed SSE stream", async () => {
    const body = ask();
    fake.enqueue({ content: "One two three four five six seven eight nine ten eleven twelve thirteen.", promptTokens: 9, completionTokens: 14 });
    const miss = await post(keyA, { ...body, user: "someone", metadata: { trace: "t-1" } });
    expect(miss.res.headers.get("x-promptgate-cache")).toBe("miss");
    const hit = await post(keyA, { ...body, stream: true, stream_options: { include_usage: true }, user: "someone-else", metadata: { trace: "t-2" } });
    expect(fake.requests).toHaveLength(1);
    expect(hit.res.headers.get("x-promptgate-cache")).toBe("hit");
    expect(hit.res.headers.get("content-type")).toContain("text/event-stream");
    const frames = sseFrames(hit.text);
    expect(frames.at(-1)).toBe("[DONE]");
    const chunks = frames.slice(0, -1).map((f) => JSON.parse(f));
    const id = hit.res.headers.get("x-promptgate-completion-id");
    for (const c of chunks) expect(c).toMatchObject({ id, object: "chat.completion.chunk", model: expect.any(String) });
    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    const contentChunks = chunks.filter((c) => typeof c.choices[0]?.delta?.content === "string" && c.choices[0].delta.content !== "");
    expect(contentChunks.length).toBeGreaterThan(1);
    expect(contentChunks.map((c) => c.choices[0].delta.content).join("")).toBe(JSON.parse(miss.text).choices[0].message.content);
    const finish = chunks.find((c) => c.choices[0]?.finish_reason);
    expect(finish.choices[0].finish_reason).toBe("stop");
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 14 } });
    // The hit is its own call: its usage event carries its own tags.
    expect((await usageOf(id!)).metadata).toEqual({ trace: "t-2" });
  });

  it("stores a streamed miss assembled from its chunks and serves it to a non-streamed request", async () => {
    const body = ask();
    fake.enqueue({ content: "Streamed then cached.", promptTokens: 5, completionTokens: 4 });
    const miss = await post(keyA, { ...body, stream: true });
    expect(miss.res.headers.get("x-promptgate-cache")).toBe("miss");
    expect(sseFrames(miss.text).at(-1)).toBe("[DONE]");
    const hit = await post(keyA, body);
    expect(hit.res.headers.get("x-promptgate-cache")).toBe("hit");
    expect(JSON.parse(hit.text).choices[0]).toMatchObject({ message: { role: "assistant", content: "Streamed then cached." }, finish_reason: "stop" });
    expect(fake.requests).toHaveLength(1);
  });

  it("does not cache requests with a temperature above 0, nor requests that did not opt in", async () => {
    const entries = async () => Number((await sql.query(`SELECT count(*) FROM "ResponseCache" WHERE "apiKeyId" = $1`, [keyIds.get(keyA)])).rows[0].count);
    const storedBefore = await entries();
    const warm = ask({ temperature: 0.7 });
    const a = await post(keyA, warm);
    const b = await post(keyA, warm);
    // Asked for, but the request does not qualify: said so, and nothing is looked up or stored.
    expect(a.res.headers.get("x-promptgate-cache")).toBe("skip");
    expect(b.res.headers.get("x-promptgate-cache")).toBe("skip");
    expect(fake.requests).toHaveLength(2); // the second was not answered from a cache
    // Refused before any lookup (no account serves the model): neither hit nor miss, so no header.
    const refused = await post(keyA, ask({ model: `no-such-model-${run}` }));
    expect(refused.res.status).toBe(404);
    expect(refused.res.headers.get("x-promptgate-cache")).toBeNull();
    const cold = ask();
    const c = await post(keyA, cold, false);
    const d = await post(keyA, cold, false);
    expect(c.res.headers.get("x-promptgate-cache")).toBeNull();
    expect(d.res.headers.get("x-promptgate-cache")).toBeNull();
    expect(fake.requests).toHaveLength(4);
    // One qualifying miss afterwards (post waits for its entry): exactly one entry more, so none of the above stored one.
    await post(keyA, ask());
    expect(await entries()).toBe(storedBefore + 1);
  });

  it("stores neither tool-call answers nor answers larger than CACHE_MAX_ENTRY_BYTES", async () => {
    const tools = ask({ stream: true, tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }] });
    fake.enqueue([{ toolCalls: [{ name: "lookup", arguments: "{}" }] }, { toolCalls: [{ name: "lookup", arguments: "{}" }] }]);
    expect((await post(keyA, tools, true, false)).res.headers.get("x-promptgate-cache")).toBe("miss");
    await new Promise((r) => setTimeout(r, 200));
    expect((await post(keyA, tools, true, false)).res.headers.get("x-promptgate-cache")).toBe("miss");
    const big = ask();
    const long = Array.from({ length: 800 }, (_, i) => `w${i}`).join(" ");
    fake.enqueue([{ content: long }, { content: long }]);
    expect((await post(keyA, big, true, false)).res.headers.get("x-promptgate-cache")).toBe("miss");
    await new Promise((r) => setTimeout(r, 200));
    expect((await post(keyA, big, true, false)).res.headers.get("x-promptgate-cache")).toBe("miss");
    expect(fake.requests).toHaveLength(4);
  });

  it("keeps the newest entries within the total size cap when pruned", async () => {
    const bodies = [ask(), ask(), ask()];
    for (const b of bodies) await post(keyB, b);
    const { rows } = await sql.query<{ key: string; sizeBytes: number }>(`SELECT "key", "sizeBytes" FROM "ResponseCache" ORDER BY "createdAt" DESC, "key" DESC`);
    const newest = rows[0]!;
    await pruneCache(newest.sizeBytes);
    const left = await sql.query<{ key: string }>(`SELECT "key" FROM "ResponseCache"`);
    expect(left.rows.map((r) => r.key)).toEqual([newest.key]);
    expect((await post(keyB, bodies[2]!)).res.headers.get("x-promptgate-cache")).toBe("hit");
    expect((await post(keyB, bodies[0]!)).res.headers.get("x-promptgate-cache")).toBe("miss");
  });

  it("never shares an entry between API keys", async () => {
    const body = ask();
    await post(keyA, body);
    const other = await post(keyB, body);
    expect(other.res.headers.get("x-promptgate-cache")).toBe("miss");
    expect(fake.requests).toHaveLength(2);
    expect((await post(keyB, body)).res.headers.get("x-promptgate-cache")).toBe("hit");
    expect(fake.requests).toHaveLength(2);
  });

  it("serves a key that opted in from the cache without the header, and lets a request opt out", async () => {
    const { key, row } = await createApiKey(system, { name: `cache-optin-${run}`, scopes: ["completions"] });
    keyIds.set(key, row.id);
    await setKeyCacheEnabled(system, { id: row.id, enabled: true });
    await new Promise((r) => setTimeout(r, 200)); // the app instance drops its cached view of the key on the notification
    const body = ask();
    const first = await post(key, body, false);
    expect(first.res.headers.get("x-promptgate-cache")).toBe("miss");
    const second = await post(key, body, false);
    expect(second.res.headers.get("x-promptgate-cache")).toBe("hit");
    expect(fake.requests).toHaveLength(1);
    const optedOut = await fetch(`${app.url}/api/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "x-promptgate-cache": "off" },
      body: JSON.stringify(body),
    });
    expect(optedOut.status).toBe(200);
    expect(optedOut.headers.get("x-promptgate-cache")).toBeNull();
    expect(fake.requests).toHaveLength(2);
  });

  it("expires entries after CACHE_TTL_SECONDS", async () => {
    const body = ask();
    await post(keyA, body);
    expect((await post(keyA, body)).res.headers.get("x-promptgate-cache")).toBe("hit");
    await new Promise((r) => setTimeout(r, TTL_SECONDS * 1000 + 300));
    expect((await post(keyA, body)).res.headers.get("x-promptgate-cache")).toBe("miss");
    expect(fake.requests).toHaveLength(2);
  }, 15_000);

  it("records hits as ok usage with cached=true and cost 0, and does not count them against token quotas", async () => {
    const body = ask();
    fake.enqueue({ content: "Quota-free on the second call.", promptTokens: 100, completionTokens: 50 });
    const miss = await post(keyQ, body);
    const missRow = await usageOf(miss.res.headers.get("x-promptgate-completion-id")!);
    expect(missRow).toMatchObject({ status: "ok", cached: false, inputTokens: 100, outputTokens: 50 });
    expect(Number(missRow.costUsd)).toBeGreaterThan(0);
    const counters = async () =>
      (await sql.query<{ tokens: string; requests: number }>(
        `SELECT coalesce(sum(c."usedTokens"), 0)::text AS tokens, coalesce(sum(c."usedRequests"), 0)::int AS requests, coalesce(sum(c."reservedTokens"), 0)::text AS reserved
         FROM "QuotaCounter" c JOIN "QuotaPolicy" p ON p.id = c."policyId" WHERE p."apiKeyId" = $1`,
        [keyQId],
      )).rows[0]!;
    // Settlement runs in the usage batch that wrote the miss's event.
    const before = await counters();
    expect(Number(before.tokens)).toBe(150);

    const hit = await post(keyQ, body);
    expect(hit.res.headers.get("x-promptgate-cache")).toBe("hit");
    const hitRow = await usageOf(hit.res.headers.get("x-promptgate-completion-id")!);
    expect(hitRow).toMatchObject({ status: "ok", cached: true, accountId: null, apiKeyId: keyQId });
    expect(Number(hitRow.costUsd)).toBe(0);
    expect(await counters()).toEqual(before);
    expect(fake.requests).toHaveLength(1);
  });
});
