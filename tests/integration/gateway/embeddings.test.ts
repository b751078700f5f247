// POST /api/v1/embeddings through the one pipeline: the official openai SDK
// (float, and its default base64 which it decodes itself) and the Vercel AI SDK
// against the simulator and OpenAI-compatible upstreams, with usage, cost,
// quotas, scopes, input validation and failover.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { createOpenAI } from "@ai-sdk/openai";
import { embed, embedMany } from "ai";
import pg from "pg";
import { createAccount } from "@/lib/accounts";
import { createApiKey } from "@/lib/auth/api-keys";
import { closeDb, db } from "@/lib/db";
import { setKeyFilters, setKeyLogging } from "@/lib/filters";
import { createPolicy } from "@/lib/quota";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { startApp, type AppServer } from "../../support/app-server";
import { eventually, usageEventOf } from "../../support/eventually";

const system = { kind: "system", name: "test" } as const;

type UsageRow = {
  status: string; surface: string; inputTokens: number; outputTokens: number; costUsd: string; priceKnown: boolean; accountId: string | null;
  provider: string | null; requestedModel: string; servedModel: string | null; stream: boolean; attempts: number; errorCode: string | null;
  endUser: string | null; apiKeyId: string | null;
};

const norm = (v: number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));
const decode = (b64: string) => Array.from(new Float32Array(new Uint8Array(Buffer.from(b64, "base64")).buffer));
let n = 0;
const unique = (p: string) => `${p}-${process.pid}-${Date.now().toString(36)}-${++n}`;

describe("POST /api/v1/embeddings (embeddings #17.3)", () => {
  let app: AppServer;
  let fakeA: FakeUpstream; // OpenAI-compatible, first choice
  let fakeB: FakeUpstream; // OpenAI-compatible, fallback
  let fakeC: FakeUpstream; // Anthropic: has no embeddings API
  let fakeZ: FakeUpstream; // Azure deployment
  let key: string;
  let keyId: string;
  let adminKey: string;
  let client: OpenAI;
  const filtered: Record<"mask" | "block", string> = { mask: "", block: "" };
  let logged: { key: string; id: string };
  let sql: pg.Pool;
  const ids: Record<string, string> = {};

  const usageOf = (completionId: string) => usageEventOf<UsageRow>(sql, completionId);
  const post = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${key}` }) =>
    fetch(`${app.url}/api/v1/embeddings`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });

  /** A key created while the app runs is known to it once the key's notification arrives: until then it is a 401. */
  const postAsNewKey = (body: unknown, key: string) =>
    eventually(async () => {
      const r = await post(body, { authorization: `Bearer ${key}` });
      return r.status === 401 ? null : r;
    }, 10_000, "the new key to be known");

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL });
    [fakeA, fakeB, fakeC, fakeZ] = await Promise.all([startFakeUpstream(), startFakeUpstream(), startFakeUpstream(), startFakeUpstream()]);
    const mk = (input: Record<string, unknown>) => createAccount(system, { firstByteTimeoutMs: 2000, idleTimeoutMs: 2000, ...input });
    ids.a = (await mk({ name: "emb-primary", provider: "openai", baseUrl: fakeA.openaiBaseUrl, apiKey: "sk-upstream-embed-a-0001", models: ["text-embedding-3-small", "embup-*"], priority: 0 })).id;
    ids.b = (await mk({ name: "emb-fallback", provider: "openai", baseUrl: fakeB.openaiBaseUrl, apiKey: "sk-upstream-embed-b-0002", models: ["embup-failover"], priority: 1 })).id;
    // Serves the same names as the others and more: it must never be routed an embeddings call.
    ids.c = (await mk({ name: "emb-anthropic", provider: "anthropic", baseUrl: fakeC.url, apiKey: "sk-ant-upstream-emb-03", models: ["embant-*", "embup-*"], priority: 0 })).id;
    ids.z = (await mk({ name: "emb-azure", provider: "azure", baseUrl: `${fakeZ.url}/openai/deployments/emb-dep`, apiKey: "azure-upstream-key-0004", models: ["embaz-*"], settings: { apiVersion: "2024-10-21" } })).id;
    ids.s = (await mk({ name: "emb-simulator", provider: "simulator", models: ["text-embedding-3-large", "embsim-*"], settings: { ttftMs: 0 } })).id;
    await db.setting.deleteMany({ where: { key: "accounts.routing" } });
    const created = await createApiKey(system, { name: "embeddings-test", scopes: ["completions"] });
    key = created.key;
    keyId = created.row.id;
    adminKey = (await createApiKey(system, { name: "embeddings-test-admin", scopes: ["admin"] })).key;
    for (const mode of ["mask", "block"] as const) {
      const k = await createApiKey(system, { name: `embeddings-test-${mode}`, scopes: ["completions"] });
      await setKeyFilters(system, k.row.id, { pii: ["email"], terms: ["Project Falcon"], request: mode });
      filtered[mode] = k.key;
    }
    const lk = await createApiKey(system, { name: "embeddings-test-logged", scopes: ["completions"] });
    await setKeyLogging(system, lk.row.id, { enabled: true, retentionDays: 7 });
    logged = { key: lk.key, id: lk.row.id };
    app = await startApp({ GATEWAY_RETRY_BASE_MS: "10", GATEWAY_ATTEMPTS_PER_ACCOUNT: "2", ACCOUNT_PROBE_TICK_MS: "3600000" });
    client = new OpenAI({ apiKey: key, baseURL: `${app.url}/api/v1`, maxRetries: 0 });
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
    await Promise.all([fakeA?.close(), fakeB?.close(), fakeC?.close(), fakeZ?.close()]);
    await sql?.end();
    await closeDb();
  });

  beforeEach(async () => {
    for (const f of [fakeA, fakeB, fakeC, fakeZ]) f.reset();
    for (const id of Object.values(ids)) {
      const res = await fetch(`${app.url}/api/admin/accounts/${id}/actions`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
        body: JSON.stringify({ action: "reset_circuit" }),
      });
      expect(res.status).toBe(200);
    }
  });

  it("embeddings #17.3: the openai SDK gets the simulator's deterministic unit vectors as floats, and the call is recorded with surface, tokens and cost", async () => {
    const input = ["The quick brown fox", "jumps over the lazy dog"];
    const { data: res, response } = await client.embeddings.create({ model: "text-embedding-3-large", input, encoding_format: "float", dimensions: 256, user: "emb-user-1" }).withResponse();
    expect(res.object).toBe("list");
    expect(res.model).toBe("text-embedding-3-large");
    expect(res.data.map((d) => [d.object, d.index, d.embedding.length])).toEqual([["embedding", 0, 256], ["embedding", 1, 256]]);
    for (const d of res.data) expect(norm(d.embedding)).toBeCloseTo(1, 4);
    expect(res.usage.prompt_tokens).toBeGreaterThan(5);
    expect(res.usage.total_tokens).toBe(res.usage.prompt_tokens);
    const again = await client.embeddings.create({ model: "text-embedding-3-large", input: input[1]!, encoding_format: "float", dimensions: 256 });
    expect(again.data[0]!.embedding).toEqual(res.data[1]!.embedding);

    const id = response.headers.get("x-promptgate-completion-id")!;
    expect(id).toBeTruthy();
    const u = await usageOf(id);
    expect(u).toMatchObject({
      status: "ok", surface: "embeddings", inputTokens: res.usage.prompt_tokens, outputTokens: 0, accountId: ids.s, provider: "simulator",
      requestedModel: "text-embedding-3-large", stream: false, attempts: 1, apiKeyId: keyId, endUser: "emb-user-1", priceKnown: true,
    });
    // text-embedding-3-large: $0.13 per 1M input tokens.
    expect(Number(u.costUsd)).toBeCloseTo((res.usage.prompt_tokens * 0.13) / 1e6, 12);
  });

  it("embeddings #17.3: the openai SDK's default (base64, decoded by the SDK) works unchanged and carries the same numbers as float", async () => {
    const b = await client.embeddings.create({ model: "text-embedding-3-large", input: "same text" });
    const f = await client.embeddings.create({ model: "text-embedding-3-large", input: "same text", encoding_format: "float" });
    expect(b.data[0]!.embedding).toHaveLength(3072);
    expect(b.data[0]!.embedding).toEqual(f.data[0]!.embedding);
    // On the wire it really is base64 of little-endian float32s.
    const raw = await post({ model: "embsim-x", input: ["a", "b"], encoding_format: "base64" });
    expect(raw.status).toBe(200);
    const body = await raw.json();
    expect(typeof body.data[0].embedding).toBe("string");
    expect(decode(body.data[0].embedding)).toHaveLength(1536);
  });

  it("embeddings #17.3: token-id inputs: a flat array is one input, an array of arrays one per array, one token each", async () => {
    const one = await (await post({ model: "embsim-x", input: [1, 2, 3], encoding_format: "float" })).json();
    expect(one.data).toHaveLength(1);
    expect(one.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    const two = await (await post({ model: "embsim-x", input: [[1, 2, 3], [4, 5]], encoding_format: "float", dimensions: 32 })).json();
    expect(two.data.map((d: { embedding: number[] }) => d.embedding.length)).toEqual([32, 32]);
    expect(two.usage.prompt_tokens).toBe(5);
  });

  it("embeddings #17.3: an OpenAI upstream gets the request as sent (base64 by default, our account key, its model) and the SDK decodes its answer", async () => {
    fakeA.enqueue({ promptTokens: 7 });
    const { data: res, response } = await client.embeddings.create({ model: "text-embedding-3-small", input: ["one", "two", "three"], dimensions: 4, user: "emb-user-2" }).withResponse();
    expect(res.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(res.data[1]!.embedding).toEqual([2, 1, 2 / 3, 0.5].map(Math.fround));
    expect(res.usage).toEqual({ prompt_tokens: 21, total_tokens: 21 });
    const sent = fakeA.requests[0]!;
    expect(sent.path).toBe("/v1/embeddings");
    expect(sent.headers.authorization).toBe("Bearer sk-upstream-embed-a-0001");
    expect(sent.body).toEqual({ model: "text-embedding-3-small", input: ["one", "two", "three"], dimensions: 4, user: "emb-user-2", encoding_format: "base64" });
    expect(fakeC.requests).toHaveLength(0);

    const u = await usageOf(response.headers.get("x-promptgate-completion-id")!);
    expect(u).toMatchObject({ status: "ok", surface: "embeddings", inputTokens: 21, outputTokens: 0, accountId: ids.a, provider: "openai", servedModel: "text-embedding-3-small", priceKnown: true });
    // text-embedding-3-small: $0.02 per 1M input tokens.
    expect(Number(u.costUsd)).toBeCloseTo((21 * 0.02) / 1e6, 12);
  });

  it("embeddings #17.3: an upstream that reports no usage is counted with the tokenizer", async () => {
    fakeA.enqueue({ omitUsage: true });
    const res = await client.embeddings.create({ model: "embup-nousage", input: "count these words please", encoding_format: "float" });
    expect(res.usage.prompt_tokens).toBeGreaterThan(2);
    expect(res.usage.total_tokens).toBe(res.usage.prompt_tokens);
  });

  it("embeddings #17.3: an Azure deployment is called at its deployment's /embeddings with the api-version", async () => {
    const res = await client.embeddings.create({ model: "embaz-1", input: "azure", encoding_format: "float" });
    expect(res.data[0]!.embedding).toHaveLength(8);
    expect(fakeZ.requests[0]!.path).toBe("/openai/deployments/emb-dep/embeddings?api-version=2024-10-21");
    expect(fakeZ.requests[0]!.headers["api-key"]).toBe("azure-upstream-key-0004");
  });

  it("embeddings #17.3: the Vercel AI SDK's embed and embedMany work through createOpenAI({ baseURL })", async () => {
    const provider = createOpenAI({ apiKey: key, baseURL: `${app.url}/api/v1` });
    const one = await embed({ model: provider.embedding("text-embedding-3-small"), value: "sunny day at the beach", maxRetries: 0 });
    expect(one.embedding).toEqual([1, 0.5, 1 / 3, 0.25, 0.2, 1 / 6, 1 / 7, 0.125].map(Math.fround));
    expect(one.usage.tokens).toBe(10);
    const many = await embedMany({ model: provider.embedding("embsim-ai"), values: ["a", "b", "a"], maxRetries: 0 });
    expect(many.embeddings).toHaveLength(3);
    expect(many.embeddings[0]).toHaveLength(1536);
    expect(many.embeddings[0]).toEqual(many.embeddings[2]);
    expect(many.embeddings[0]).not.toEqual(many.embeddings[1]);
    expect(many.usage.tokens).toBeGreaterThan(0);
  });

  it("embeddings #17.3: fails over on 5xx before answering, to the next account", async () => {
    fakeA.setDefault({ status: 503 });
    const { data: res, response } = await client.embeddings.create({ model: "embup-failover", input: "x", encoding_format: "float" }).withResponse();
    expect(res.data[0]!.embedding).toHaveLength(8);
    expect(fakeA.requests).toHaveLength(2);
    expect(fakeB.requests).toHaveLength(1);
    const u = await usageOf(response.headers.get("x-promptgate-completion-id")!);
    expect(u).toMatchObject({ status: "ok", surface: "embeddings", accountId: ids.b, attempts: 3 });

    // Every account failing: one 5xx in the OpenAI envelope, recorded as an upstream error.
    fakeB.setDefault({ status: 500 });
    const r = await post({ model: "embup-failover", input: "x" });
    expect(r.status).toBeGreaterThanOrEqual(500);
    expect((await r.json()).error).toMatchObject({ message: expect.stringContaining("failed after") });
    expect(await usageOf(r.headers.get("x-promptgate-completion-id")!)).toMatchObject({ status: "upstream_error", surface: "embeddings" });
  });

  it("embeddings #17.3: client mistakes are 400s in OpenAI's envelope that name the field, and never reach an upstream", async () => {
    const many = Array.from({ length: 2049 }, () => "x");
    const cases: [unknown, string][] = [
      [{ model: "embsim-x", input: "" }, "input"],
      [{ model: "embsim-x", input: [] }, "input"],
      [{ model: "embsim-x", input: ["ok", ""] }, "input"],
      [{ model: "embsim-x", input: many }, "input"],
      [{ model: "embsim-x", input: [[]] }, "input"],
      [{ model: "embsim-x", input: [1.5] }, "input"],
      [{ model: "embsim-x", input: { text: "x" } }, "input"],
      [{ model: "embsim-x" }, "input"],
      [{ input: "x" }, "model"],
      [{ model: "embsim-x", input: "x", dimensions: 0 }, "dimensions"],
      [{ model: "embsim-x", input: "x", dimensions: 1.5 }, "dimensions"],
      [{ model: "embsim-x", input: "x", dimensions: "256" }, "dimensions"],
      [{ model: "embsim-x", input: "x", encoding_format: "binary" }, "encoding_format"],
    ];
    for (const [body, param] of cases) {
      const r = await post(body);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect((await r.json()).error, param).toMatchObject({ type: "invalid_request_error", param: expect.stringMatching(new RegExp(`^${param}`)) });
    }
    expect((await post("{not json")).status).toBe(400);
    // More dimensions than the model has: the simulator refuses as OpenAI does, with a 400.
    const big = await post({ model: "text-embedding-3-small", input: "x", dimensions: 4000 }).then(async (r) => ({ status: r.status, body: await r.json() }));
    expect(fakeA.requests).toHaveLength(1); // the upstream decides for its own model
    const sim = await post({ model: "embsim-x", input: "x", dimensions: 4097 });
    expect(sim.status).toBe(400);
    expect((await sim.json()).error.message).toMatch(/4096/);
    expect(big.status).toBe(200);
  });

  it("embeddings #17.3: a model only an Anthropic account serves, or nobody does, is a 404 model_not_found", async () => {
    for (const model of ["embant-1", "no-such-embedding-model"]) {
      const r = await post({ model, input: "x" });
      expect(r.status).toBe(404);
      expect((await r.json()).error).toMatchObject({ code: "model_not_found", param: "model", message: expect.stringContaining(model) });
      expect(await usageOf(r.headers.get("x-promptgate-completion-id")!)).toMatchObject({ status: "rejected", surface: "embeddings", errorCode: "model_not_found" });
    }
    expect(fakeC.requests).toHaveLength(0);
    // An Anthropic account serving the name too is simply not a candidate.
    const r = await post({ model: "embup-shared", input: "x", encoding_format: "float" });
    expect(r.status).toBe(200);
    expect(fakeA.requests).toHaveLength(1);
    expect(fakeC.requests).toHaveLength(0);
  });

  it("embeddings #17.3: a key's scopes apply: no completions scope, or a model scope that does not match, is a 403", async () => {
    const { key: scoped } = await createApiKey(system, { name: unique("emb-scoped"), scopes: ["model:gpt-*"] });
    const r = await postAsNewKey({ model: "embsim-x", input: "x" }, scoped);
    expect(r.status).toBe(403);
    expect((await r.json()).error).toMatchObject({ code: "model_not_allowed", param: "model" });
    const { key: allowed } = await createApiKey(system, { name: unique("emb-scoped-ok"), scopes: ["model:embsim-*"] });
    expect((await postAsNewKey({ model: "embsim-x", input: "x" }, allowed)).status).toBe(200);
    // An admin key manages; it does not call the gateway.
    const denied = await post({ model: "embsim-x", input: "x" }, { authorization: `Bearer ${adminKey}` });
    expect(denied.status).toBe(403);
    expect((await denied.json()).error).toMatchObject({ code: "insufficient_scope" });
    const unauth = await post({ model: "embsim-x", input: "x" }, {});
    expect(unauth.status).toBe(401);
  });

  it("embeddings #17.3: quotas reserve the input's tokens and settle what was used; an input over the limit is refused with 429", async () => {
    const created = await createApiKey(system, { name: unique("emb-quota"), scopes: ["completions"] });
    const policy = await createPolicy(system, { name: unique("emb-quota"), scope: "key", apiKeyId: created.row.id, tokensPerDay: 40, requireMaxTokens: true });
    const auth = { authorization: `Bearer ${created.key}` };
    // No max_tokens to require: an embedding has no output.
    const ok = await postAsNewKey({ model: "embsim-q", input: "short text", encoding_format: "float" }, created.key);
    expect(ok.status).toBe(200);
    const used = (await ok.json()).usage.prompt_tokens as number;
    expect(ok.headers.get("x-ratelimit-limit-tokens")).toBe("40");
    const settled = await eventually(async () => {
      const { rows } = await sql.query(`SELECT "usedTokens"::int AS used, "reservedTokens"::int AS reserved FROM "QuotaCounter" WHERE "policyId" = $1`, [policy.id]);
      return rows[0]?.used === used && rows[0]?.reserved === 0 ? rows[0] : null;
    });
    expect(settled).toEqual({ used, reserved: 0 });

    const long = "many words in this input push it well past the daily token limit of this key ".repeat(3);
    const refused = await post({ model: "embsim-q", input: long }, auth);
    expect(refused.status).toBe(429);
    expect((await refused.json()).error).toMatchObject({ code: "tokens_per_day" });
    expect(await usageOf(refused.headers.get("x-promptgate-completion-id")!)).toMatchObject({ status: "rejected", surface: "embeddings", errorCode: "tokens_per_day" });
  });

  it("embeddings #17.3: a key's request filter applies to the texts: masked before they reach the upstream, or refused in block mode", async () => {
    const masked = await post({ model: "embup-filtered", input: ["mail ana@example.com", "about Project Falcon", "nothing here"], encoding_format: "float" }, { authorization: `Bearer ${filtered.mask}` });
    expect(masked.status).toBe(200);
    expect(fakeA.requests[0]!.body.input).toEqual([`mail ${"*".repeat(15)}`, `about ${"*".repeat(14)}`, "nothing here"]);
    const one = await post({ model: "embup-filtered", input: "ana@example.com" }, { authorization: `Bearer ${filtered.mask}` });
    expect(one.status).toBe(200);
    expect(fakeA.requests[1]!.body.input).toBe("*".repeat(15));

    const blocked = await post({ model: "embup-filtered", input: ["fine", "write to ana@example.com"] }, { authorization: `Bearer ${filtered.block}` });
    expect(blocked.status).toBe(400);
    const body = await blocked.json();
    expect(body.error).toMatchObject({ code: "content_filter", param: "input" });
    expect(JSON.stringify(body)).not.toContain("ana@example.com");
    expect(fakeA.requests).toHaveLength(2);
    expect(await usageOf(blocked.headers.get("x-promptgate-completion-id")!)).toMatchObject({ status: "rejected", surface: "embeddings", errorCode: "content_filter" });
    // Token ids are not text: nothing to filter.
    expect((await post({ model: "embsim-x", input: [[1, 2, 3]] }, { authorization: `Bearer ${filtered.block}` })).status).toBe(200);
  });

  it("embeddings #17.3: a key that logs requests gets its embeddings inputs in the request log", async () => {
    const res = await post({ model: "embsim-x", input: ["first text", "second text"], encoding_format: "float" }, { authorization: `Bearer ${logged.key}` });
    expect(res.status).toBe(200);
    const id = res.headers.get("x-promptgate-completion-id")!;
    const row = await eventually(async () => (await sql.query(`SELECT status, request, response FROM "RequestLog" WHERE "completionId" = $1`, [id])).rows[0]);
    expect(row).toMatchObject({ status: 200, request: [{ role: "user", content: "first text" }, { role: "user", content: "second text" }], response: null });
  });

  it("embeddings #17.3: a client that goes away aborts the upstream request, and the call is recorded as client_aborted", async () => {
    fakeA.enqueue({ hang: true });
    const ac = new AbortController();
    const pending = fetch(`${app.url}/api/v1/embeddings`, {
      method: "POST", signal: ac.signal, headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "embup-abort", input: "x" }),
    });
    await fakeA.waitForRequests(1, 5_000);
    ac.abort();
    await expect(pending).rejects.toThrow();
    expect((await fakeA.waitForAbort(5_000)).path).toBe("/v1/embeddings");
    const row = await eventually(async () => (await sql.query<UsageRow>(`SELECT * FROM "UsageEvent" WHERE "requestedModel" = 'embup-abort'`)).rows[0]);
    expect(row).toMatchObject({ status: "client_aborted", surface: "embeddings", outputTokens: 0 });
    expect(row.inputTokens).toBeGreaterThan(0);
  });
});
