import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import OpenAI from "openai";
import pg from "pg";
import { createAccount } from "@/lib/accounts";
import { createApiKey } from "@/lib/auth/api-keys";
import { closeDb, db } from "@/lib/db";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { startApp, type AppServer } from "../../support/app-server";
import { usageEventOf } from "../../support/eventually";

const system = { kind: "system", name: "test" } as const;

type UsageRow = {
  status: string; inputTokens: number; outputTokens: number; cachedTokens: number; costUsd: string; priceKnown: boolean;
  accountId: string | null; provider: string | null; requestedModel: string; servedModel: string | null; stream: boolean;
  ttftMs: number | null; latencyMs: number; attempts: number; errorCode: string | null; endUser: string | null; apiKeyId: string | null;
  metadata: Record<string, unknown> | null;
};

describe("POST /api/v1/chat/completions", () => {
  let app: AppServer;
  let fakeA: FakeUpstream; // primary OpenAI-compatible upstream
  let fakeB: FakeUpstream; // fallback, lower priority
  let fakeC: FakeUpstream; // Anthropic
  let key: string;
  let keyId: string;
  let adminKey: string;
  let client: OpenAI;
  let sql: pg.Pool;
  const ids: Record<string, string> = {};

  const usageOf = (completionId: string) => usageEventOf<UsageRow>(sql, completionId);


  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL });
    [fakeA, fakeB, fakeC] = await Promise.all([startFakeUpstream(), startFakeUpstream(), startFakeUpstream()]);
    const mk = (input: Record<string, unknown>) => createAccount(system, { firstByteTimeoutMs: 1000, idleTimeoutMs: 1000, ...input });
    ids.a = (await mk({ name: "gw-primary", provider: "openai", baseUrl: fakeA.openaiBaseUrl, apiKey: "sk-upstream-primary-0001", models: ["gpt-4o-mini", "gw-*"], aliases: { "team-default": "gpt-4o-mini" }, priority: 0 })).id;
    ids.b = (await mk({ name: "gw-fallback", provider: "openai", baseUrl: fakeB.openaiBaseUrl, apiKey: "sk-upstream-fallback-02", models: ["gw-failover"], priority: 1 })).id;
    ids.c = (await mk({ name: "gw-anthropic", provider: "anthropic", baseUrl: fakeC.url, apiKey: "sk-ant-upstream-000003", models: ["claude-3-5-haiku*"] })).id;
    // These tests inject faults on purpose; routing settings left by other test files must not change the thresholds.
    await db.setting.deleteMany({ where: { key: "accounts.routing" } });
    const created = await createApiKey(system, { name: "gateway-test", scopes: ["completions"] });
    key = created.key;
    keyId = created.row.id;
    adminKey = (await createApiKey(system, { name: "gateway-test-admin", scopes: ["admin"] })).key;
    app = await startApp({ GATEWAY_RETRY_BASE_MS: "10", ACCOUNT_PROBE_TICK_MS: "3600000" });
    client = new OpenAI({ apiKey: key, baseURL: `${app.url}/api/v1`, maxRetries: 0 });
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
    await Promise.all([fakeA?.close(), fakeB?.close(), fakeC?.close()]);
    await sql?.end();
    await closeDb();
  });

  // Each case starts with every circuit closed and no cool-down left by earlier faults.
  // Asked of the app itself, which resets its own state before answering (other
  // instances would hear of it over NOTIFY), so no wait is needed.
  async function resetHealth() {
    for (const id of Object.values(ids)) {
      const res = await fetch(`${app.url}/api/admin/accounts/${id}/actions`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
        body: JSON.stringify({ action: "reset_circuit" }),
      });
      expect(res.status).toBe(200);
    }
  }

  beforeEach(async () => {
    fakeA.reset();
    fakeB.reset();
    fakeC.reset();
    await resetHealth();
  });

  it("answers a non-streamed call from the official SDK and records its usage", async () => {
    fakeA.enqueue({ content: "Paris is the capital of France.", promptTokens: 21, completionTokens: 7 });
    const res = await client.chat.completions
      .create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Capital of France?" }], user: "end-user-1" })
      .withResponse();
    const completion = res.data;
    expect(completion.choices[0]?.message.content).toBe("Paris is the capital of France.");
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(res.response.headers.get("x-promptgate-completion-id")).toBe(completion.id);
    expect(completion.usage).toMatchObject({ prompt_tokens: 21, completion_tokens: 7 });

    const u = await usageOf(completion.id);
    expect(u).toMatchObject({ status: "ok", inputTokens: 21, outputTokens: 7, accountId: ids.a, provider: "openai", requestedModel: "gpt-4o-mini", stream: false, endUser: "end-user-1", apiKeyId: keyId, priceKnown: true, attempts: 1 });
    // gpt-4o-mini: $0.15 in, $0.60 out per 1M tokens.
    expect(Number(u.costUsd)).toBeCloseTo((21 * 0.15 + 7 * 0.6) / 1e6, 10);
    // The upstream got our account's key, never the client's.
    expect(fakeA.requests[0]?.headers.authorization).toBe("Bearer sk-upstream-primary-0001");
  });

  it("streams to the SDK's async iterator, with usage when asked, and always asks the upstream for usage", async () => {
    fakeA.enqueue({ completionTokens: 12, promptTokens: 9, chunkDelayMs: 5 });
    const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "count" }], stream: true, stream_options: { include_usage: true } });
    let text = "";
    let id = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      id = chunk.id;
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 12 });
    const u = await usageOf(id);
    expect(u).toMatchObject({ status: "ok", stream: true, inputTokens: 9, outputTokens: 12 });
    expect(u.ttftMs).not.toBeNull();

    fakeA.enqueue({ completionTokens: 3 });
    const s2 = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }], stream: true });
    const chunks = [];
    for await (const c of s2) chunks.push(c);
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(fakeA.requests.at(-1)?.body.stream_options).toEqual({ include_usage: true });
  });

  it("frames SSE exactly: data lines, our completion id everywhere, and a final [DONE]", async () => {
    fakeA.enqueue({ content: "a b c", completionTokens: 3 });
    const res = await fetch(`${app.url}/api/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], stream: true }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const id = res.headers.get("x-promptgate-completion-id")!;
    const raw = await res.text();
    expect(raw.endsWith("data: [DONE]\n\n")).toBe(true);
    const frames = raw.split("\n\n").filter(Boolean);
    expect(frames.at(-1)).toBe("data: [DONE]");
    for (const f of frames.slice(0, -1)) {
      expect(f.startsWith("data: ")).toBe(true);
      expect(JSON.parse(f.slice(6))).toMatchObject({ id, object: "chat.completion.chunk" });
    }
    expect(frames.slice(0, -1).map((f) => JSON.parse(f.slice(6)).choices[0]?.delta?.content ?? "").join("")).toBe("a b c");
  });

  it("passes unknown and OpenAI-specific fields through to the upstream", async () => {
    fakeA.enqueue({});
    await fetch(`${app.url}/api/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], seed: 7, n: 1, stop: ["END"], logprobs: true, user: "u-9",
        response_format: { type: "json_object" }, tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
        vendor_extension: { keep: true },
      }),
    });
    const body = fakeA.requests[0]?.body;
    expect(body).toMatchObject({ seed: 7, n: 1, stop: ["END"], logprobs: true, user: "u-9", response_format: { type: "json_object" }, vendor_extension: { keep: true } });
    expect(body.tools[0].function.name).toBe("f");
  });

  it("resolves an alias to the upstream model name and lists it in /models", async () => {
    fakeA.enqueue({});
    const c = await client.chat.completions.create({ model: "team-default", messages: [{ role: "user", content: "hi" }] });
    expect(fakeA.requests[0]?.body.model).toBe("gpt-4o-mini");
    const u = await usageOf(c.id);
    expect(u).toMatchObject({ requestedModel: "team-default", servedModel: "gpt-4o-mini" });
    const models = await client.models.list();
    const names = models.data.map((m) => m.id);
    expect(names).toEqual(expect.arrayContaining(["gpt-4o-mini", "team-default", "gw-failover"]));
  });

  it("translates to Anthropic and back, streamed and not", async () => {
    fakeC.enqueue({ content: "Bonjour", promptTokens: 11, completionTokens: 2 });
    const c = await client.chat.completions.create({ model: "claude-3-5-haiku-latest", messages: [{ role: "system", content: "be brief" }, { role: "user", content: "hi" }] });
    expect(c.choices[0]?.message.content).toBe("Bonjour");
    expect(fakeC.requests[0]?.body).toMatchObject({ system: "be brief", messages: [{ role: "user" }] });
    expect(fakeC.requests[0]?.headers["x-api-key"]).toBe("sk-ant-upstream-000003");
    expect(await usageOf(c.id)).toMatchObject({ provider: "anthropic", inputTokens: 11, outputTokens: 2, status: "ok" });

    fakeC.enqueue({ content: "streamed words here", completionTokens: 3 });
    let text = "";
    let id = "";
    for await (const chunk of await client.chat.completions.create({ model: "claude-3-5-haiku-latest", messages: [{ role: "user", content: "hi" }], stream: true })) {
      text += chunk.choices[0]?.delta.content ?? "";
      id = chunk.id;
    }
    expect(text).toBe("streamed words here");
    expect(await usageOf(id)).toMatchObject({ provider: "anthropic", outputTokens: 3, stream: true });
  });

  describe("faults before the first byte", () => {
    it("retries a 500 and succeeds without the client noticing", async () => {
      fakeA.enqueue([{ status: 500 }, { content: "second time lucky" }]);
      const c = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
      expect(c.choices[0]?.message.content).toBe("second time lucky");
      expect(fakeA.requests).toHaveLength(2);
      expect(await usageOf(c.id)).toMatchObject({ status: "ok", attempts: 2 });
    });

    it("honours Retry-After on a 429", async () => {
      fakeA.enqueue([{ status: 429, retryAfter: 1 }, { content: "ok" }]);
      const t = Date.now();
      const c = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
      expect(c.choices[0]?.message.content).toBe("ok");
      expect(Date.now() - t).toBeGreaterThanOrEqual(950);
    });

    it("fails over to the next account, for calls and for streams", async () => {
      fakeA.setDefault({ status: 503 });
      fakeB.enqueue({ content: "from the fallback" });
      const c = await client.chat.completions.create({ model: "gw-failover", messages: [{ role: "user", content: "hi" }] });
      expect(c.choices[0]?.message.content).toBe("from the fallback");
      expect(await usageOf(c.id)).toMatchObject({ status: "ok", accountId: ids.b, attempts: 3 });

      fakeA.setDefault({ status: 500 });
      fakeB.enqueue({ content: "streamed fallback", completionTokens: 2 });
      let text = "";
      for await (const ch of await client.chat.completions.create({ model: "gw-failover", messages: [{ role: "user", content: "hi" }], stream: true })) text += ch.choices[0]?.delta.content ?? "";
      expect(text).toBe("streamed fallback");
    });

    it("fails over when a stream dies before its first token", async () => {
      fakeA.setDefault({ resetAfterChunks: 0 });
      fakeB.enqueue({ content: "rescued", completionTokens: 1 });
      let text = "";
      for await (const ch of await client.chat.completions.create({ model: "gw-failover", messages: [{ role: "user", content: "hi" }], stream: true })) text += ch.choices[0]?.delta.content ?? "";
      expect(text).toBe("rescued");
    });

    it("turns exhausted 5xx into 502, 429 into 429 with Retry-After, and a timeout into 504, all recorded", async () => {
      fakeA.setDefault({ status: 500, body: { error: { message: "boom" } } });
      const r1 = await fetch(`${app.url}/api/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }) });
      expect(r1.status).toBe(502);
      const b1 = await r1.json();
      expect(b1.error).toMatchObject({ type: "upstream_error", param: null });
      expect(b1.error.message).toMatch(/failed after 2 attempt/);
      expect(await usageOf(r1.headers.get("x-promptgate-completion-id") ?? (await lastCompletionId()))).toMatchObject({ status: "upstream_error", errorCode: "upstream_http_error" });

      await resetHealth();
      fakeA.setDefault({ status: 429, retryAfter: 30 });
      const r2 = await fetch(`${app.url}/api/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }) });
      expect(r2.status).toBe(429);
      expect(r2.headers.get("retry-after")).toBe("30");
      expect((await r2.json()).error.type).toBe("rate_limit_exceeded");

      await resetHealth();
      fakeA.setDefault({ headerDelayMs: 3000 });
      const r3 = await fetch(`${app.url}/api/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }) });
      expect(r3.status).toBe(504);
      expect((await r3.json()).error.type).toBe("timeout_error");
    });

    it("passes an upstream 400 through as the client's error, without retrying", async () => {
      fakeA.enqueue({ status: 400, body: { error: { message: "max_tokens is too large", type: "invalid_request_error" } } });
      const r = await fetch(`${app.url}/api/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }) });
      expect(r.status).toBe(400);
      expect((await r.json()).error.message).toMatch(/max_tokens is too large/);
      expect(fakeA.requests).toHaveLength(1);
    });
  });

  async function lastCompletionId(): Promise<string> {
    const { rows } = await sql.query<{ completionId: string }>(`SELECT "completionId" FROM "UsageEvent" ORDER BY id DESC LIMIT 1`);
    return rows[0]!.completionId;
  }

  describe("faults after the first byte", () => {
    const streamRaw = async () => {
      const res = await fetch(`${app.url}/api/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], stream: true }) });
      return { id: res.headers.get("x-promptgate-completion-id")!, raw: await res.text() };
    };

    it("ends a reset stream with an error event, never [DONE], and records the partial tokens", async () => {
      fakeA.setDefault({ completionTokens: 20, resetAfterChunks: 5 });
      const { id, raw } = await streamRaw();
      expect(raw).not.toContain("[DONE]");
      const last = raw.trim().split("\n\n").at(-1)!;
      expect(JSON.parse(last.slice(6))).toMatchObject({ error: { type: "upstream_error" } });
      const u = await usageOf(id);
      expect(u.status).toBe("upstream_error");
      expect(u.outputTokens).toBeGreaterThan(0);
      expect(u.outputTokens).toBeLessThan(20);
      expect(u.inputTokens).toBeGreaterThan(0);
    });

    it("ends on a malformed chunk with an error event", async () => {
      fakeA.setDefault({ completionTokens: 10, malformedAfterChunks: 3 });
      const { id, raw } = await streamRaw();
      expect(raw).not.toContain("[DONE]");
      expect(raw.trim().split("\n\n").at(-1)).toMatch(/"code":"upstream_malformed_response"/);
      expect((await usageOf(id)).errorCode).toBe("upstream_malformed_response");
    });

    it("ends an idle stream with an error event after the idle timeout", async () => {
      fakeA.setDefault({ completionTokens: 5, chunkDelayMs: 2500 });
      const { raw } = await streamRaw();
      expect(raw).toMatch(/"code":"upstream_idle_timeout"/);
      expect(raw).not.toContain("[DONE]");
    });
  });

  it("aborts the upstream within 100 ms when the client aborts, and records what was streamed", async () => {
    fakeA.setDefault({ completionTokens: 200, chunkDelayMs: 20 });
    const ac = new AbortController();
    const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "long" }], stream: true }, { signal: ac.signal });
    let id = "";
    let n = 0;
    let abortedAt = 0;
    try {
      for await (const chunk of stream) {
        id = chunk.id;
        if (++n === 5) {
          abortedAt = Date.now();
          ac.abort();
        }
      }
    } catch (e) {
      expect((e as Error).name).toMatch(/Abort/);
    }
    const upstreamReq = await fakeA.waitForAbort(2000);
    expect(upstreamReq.abortedAt! - abortedAt).toBeLessThan(100);
    const u = await usageOf(id);
    expect(u.status).toBe("client_aborted");
    expect(u.outputTokens).toBeGreaterThanOrEqual(4);
    expect(u.outputTokens).toBeLessThan(200);
  });

  describe("auth and validation", () => {
    const post = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${key}` }) =>
      fetch(`${app.url}/api/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });

    it("answers a missing or revoked key with 401 in OpenAI's shape, and the SDK raises AuthenticationError", async () => {
      const r = await post({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }] }, {});
      expect(r.status).toBe(401);
      expect(await r.json()).toMatchObject({ error: { code: "invalid_api_key", param: null } });
      const bad = new OpenAI({ apiKey: "pgk_wrongwrongwrongwrongwrong", baseURL: `${app.url}/api/v1`, maxRetries: 0 });
      await expect(bad.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }] })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    });

    it("accepts x-api-key", async () => {
      fakeA.enqueue({});
      const r = await post({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }] }, { "x-api-key": key });
      expect(r.status).toBe(200);
    });

    it("restricts a key to its model scopes", async () => {
      const { key: scoped } = await createApiKey(system, { name: "scoped", scopes: ["model:claude-*"] });
      const r = await post({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }] }, { authorization: `Bearer ${scoped}` });
      expect(r.status).toBe(403);
      expect((await r.json()).error).toMatchObject({ code: "model_not_allowed", param: "model" });
    });

    it("answers an unknown model with 404 model_not_found and records a rejected event", async () => {
      const r = await post({ model: "no-such-model", messages: [{ role: "user", content: "x" }] });
      expect(r.status).toBe(404);
      expect((await r.json()).error).toMatchObject({ code: "model_not_found", param: "model" });
      expect(await usageOf(r.headers.get("x-promptgate-completion-id")!)).toMatchObject({ status: "rejected", errorCode: "model_not_found", requestedModel: "no-such-model" });
    });

    it("records the request's metadata with its usage and passes it on, and refuses metadata it could not store", async () => {
      fakeA.enqueue({ content: "tagged" });
      const metadata = { team: "search", feature: "autocomplete" };
      const c = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }], metadata });
      expect((await usageOf(c.id)).metadata).toEqual(metadata);
      expect(fakeA.requests[0]?.body.metadata).toEqual(metadata);
      for (const bad of [{ nested: { a: 1 } }, Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])), ["a"], { n: 1 }, { "a\u0000": "b" }]) {
        const r = await post({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }], metadata: bad });
        expect(r.status).toBe(400);
        expect((await r.json()).error).toMatchObject({ type: "invalid_request_error", param: expect.stringMatching(/^metadata/) });
      }
      // An end-user id Postgres could not store is refused up front, never a 500 later.
      const nul = await post({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }], user: "a\u0000b" });
      expect(nul.status).toBe(400);
      expect((await nul.json()).error).toMatchObject({ param: "user" });
      expect(fakeA.requests).toHaveLength(1);
    });

    it("names the invalid field, and never answers 500 for bad input", async () => {
      const cases: [unknown, number, string | null][] = [
        [{ messages: [] }, 400, "model"],
        [{ model: "gpt-4o-mini", messages: [] }, 400, "messages"],
        [{ model: "gpt-4o-mini", messages: [{ role: "wizard", content: "x" }] }, 400, "messages.0.role"],
        [{ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }], temperature: 9 }, 400, "temperature"],
        [{ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }], max_tokens: 0 }, 400, "max_tokens"],
        ["{broken", 400, null],
        [[1, 2, 3], 400, null],
      ];
      for (const [body, status, param] of cases) {
        const r = await post(body);
        expect(r.status).toBe(status);
        const j = await r.json();
        expect(j.error.message.length).toBeGreaterThan(5);
        if (param) expect(j.error.param).toBe(param);
      }
      // In the API's words, not the validator's.
      const bad = await (await post({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }], max_tokens: -1 })).json();
      expect(bad.error.message).toBe("Invalid value for 'max_tokens': must be a positive integer (at most 1,000,000)");
    });
  });

  it("reports the calling key's usage by model", async () => {
    const r = await fetch(`${app.url}/api/v1/usage`, { headers: { authorization: `Bearer ${key}` } });
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.total.requests).toBeGreaterThan(5);
    expect(body.byModel.map((m: { model: string }) => m.model)).toContain("gpt-4o-mini");
    const other = await fetch(`${app.url}/api/v1/usage?api_key_id=${(await db.apiKey.findFirstOrThrow({ where: { name: "scoped" } })).id}`, { headers: { authorization: `Bearer ${key}` } });
    expect(other.status).toBe(403);
  });
});
