import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import Anthropic from "@anthropic-ai/sdk";
import { createAnthropic } from "@ai-sdk/anthropic";
import { generateText, jsonSchema, streamText, tool } from "ai";
import pg from "pg";
import { createAccount } from "@/lib/accounts";
import { createApiKey } from "@/lib/auth/api-keys";
import { closeDb, db } from "@/lib/db";
import { setKeyFilters } from "@/lib/filters";
import { createPolicy } from "@/lib/quota";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { startApp, type AppServer } from "../../support/app-server";
import { usageEventOf } from "../../support/eventually";

// POST /api/v1/messages through real clients (the official Anthropic SDK and
// the Vercel AI SDK's Anthropic provider), to each kind of account: an
// Anthropic upstream (native passthrough), an OpenAI-compatible upstream and
// the simulator (both translated).

const system = { kind: "system", name: "test" } as const;

type UsageRow = {
  status: string; inputTokens: number; outputTokens: number; cachedTokens: number; surface: string; endUser: string | null;
  provider: string | null; requestedModel: string; servedModel: string | null; stream: boolean; errorCode: string | null;
};

const NATIVE = "msg-claude-native";
const SIM = "msg-sim";
// Served by both the Anthropic account (first) and the OpenAI one (fallback).
const BOTH = "msg-both";
// Not configured anywhere: the OpenAI account's glob alias claude-* serves it.
const UNKNOWN_CLAUDE = "claude-sonnet-9-20991231";

const weatherTool = {
  name: "get_weather",
  description: "The weather in a city",
  input_schema: { type: "object" as const, properties: { city: { type: "string" }, unit: { type: "string" } }, required: ["city"] },
};
const timeTool = { name: "get_time", description: "The time in a zone", input_schema: { type: "object" as const, properties: { tz: { type: "string" } } } };

describe("POST /api/v1/messages (Anthropic's Messages API)", () => {
  let app: AppServer;
  let fakeA: FakeUpstream; // Anthropic
  let fakeO: FakeUpstream; // OpenAI-compatible
  let key: string;
  let maskedKey: string;
  let cappedKey: string;
  let scopedKey: string;
  let adminKey: string;
  const accountIds: string[] = [];
  let client: Anthropic;
  let sql: pg.Pool;

  const usageOf = (id: string) => usageEventOf<UsageRow>(sql, id);

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL });
    [fakeA, fakeO] = await Promise.all([startFakeUpstream(), startFakeUpstream()]);
    const mk = (input: Record<string, unknown>) => createAccount(system, { firstByteTimeoutMs: 2000, idleTimeoutMs: 2000, ...input });
    accountIds.push((await mk({ name: "msg-anthropic", provider: "anthropic", baseUrl: fakeA.url, apiKey: "sk-ant-upstream-msg-0001", models: [NATIVE, BOTH], priority: 0, settings: { anthropicBeta: "account-beta-1" } })).id);
    accountIds.push((await mk({ name: "msg-openai", provider: "openai", baseUrl: fakeO.openaiBaseUrl, apiKey: "sk-upstream-msg-0002", models: ["msg-gpt", BOTH], priority: 1, aliases: { "claude-*": "gpt-4o-mini" } })).id);
    await mk({ name: "msg-simulator", provider: "simulator", models: [SIM], settings: { ttftMs: 0, tokensPerSecond: 0 } });
    await db.setting.deleteMany({ where: { key: "accounts.routing" } });
    key = (await createApiKey(system, { name: "messages-test", scopes: ["completions"] })).key;
    const masked = await createApiKey(system, { name: "messages-test-masked", scopes: ["completions"] });
    maskedKey = masked.key;
    await setKeyFilters(system, masked.row.id, { pii: ["email"], request: "mask" });
    scopedKey = (await createApiKey(system, { name: "messages-test-scoped", scopes: ["model:msg-sim"] })).key;
    adminKey = (await createApiKey(system, { name: "messages-test-admin", scopes: ["admin"] })).key;
    const capped = await createApiKey(system, { name: "messages-test-capped", scopes: ["completions"] });
    cappedKey = capped.key;
    await createPolicy(system, { name: `messages-per-user-${Date.now()}`, scope: "user", apiKeyId: capped.row.id, requestsPerMinute: 1 });
    app = await startApp({ GATEWAY_RETRY_BASE_MS: "10", GATEWAY_ATTEMPTS_PER_ACCOUNT: "1", ACCOUNT_PROBE_TICK_MS: "3600000" });
    client = new Anthropic({ apiKey: key, baseURL: `${app.url}/api`, maxRetries: 0 });
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
    await Promise.all([fakeA?.close(), fakeO?.close()]);
    await sql?.end();
    await closeDb();
  });

  // Each case starts with every circuit closed and no cool-down left by earlier faults (asked of the app itself).
  beforeEach(async () => {
    fakeA.reset();
    fakeO.reset();
    for (const id of accountIds) {
      const res = await fetch(`${app.url}/api/admin/accounts/${id}/actions`, {
        method: "POST", headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" }, body: JSON.stringify({ action: "reset_circuit" }),
      });
      expect(res.status).toBe(200);
    }
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${app.url}/api/v1/messages`, { method: "POST", headers: { "x-api-key": key, "content-type": "application/json", "anthropic-version": "2023-06-01", ...headers }, body: JSON.stringify(body) });

  /** Server-sent events of a response body, as [event, data] pairs. */
  async function eventsOf(res: Response): Promise<[string, any][]> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const text = await res.text();
    return text.split("\n\n").filter((f) => f.trim()).map((frame) => {
      const event = /^event: (.*)$/m.exec(frame)?.[1] ?? "";
      const data = frame.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
      return [event, JSON.parse(data)];
    });
  }

  describe("native passthrough to an Anthropic account", () => {
    it("messages #17.1: the official SDK's non-streamed call arrives as sent (unknown fields, betas, client version), with cache tokens in usage", async () => {
      fakeA.enqueue({ content: "Hello from Claude", cachedTokens: 7, promptTokens: 12, completionTokens: 4 });
      const params = {
        model: NATIVE, max_tokens: 64, system: [{ type: "text" as const, text: "Be brief.", cache_control: { type: "ephemeral" as const } }],
        messages: [{ role: "user" as const, content: "Hi" }], metadata: { user_id: "end-user-native" }, top_k: 5,
        thinking: { type: "enabled" as const, budget_tokens: 1024 }, betas: ["interleaved-thinking-2025-05-14"],
        some_future_field: { keep: [1, 2, 3] },
      };
      const { data: msg, response } = await client.beta.messages.create(params as Anthropic.Beta.MessageCreateParamsNonStreaming).withResponse();
      expect(msg).toMatchObject({ type: "message", role: "assistant", model: NATIVE, stop_reason: "end_turn", content: [{ type: "text", text: "Hello from Claude" }] });
      expect(msg.id).toMatch(/^msg_fake_/);
      expect(msg.usage).toMatchObject({ input_tokens: 12, output_tokens: 4, cache_read_input_tokens: 7, cache_creation_input_tokens: 0 });

      const up = fakeA.requests[0]!;
      expect(up.body).toMatchObject({ model: NATIVE, top_k: 5, some_future_field: { keep: [1, 2, 3] }, thinking: { type: "enabled", budget_tokens: 1024 }, metadata: { user_id: "end-user-native" } });
      expect(up.body.system[0].cache_control).toEqual({ type: "ephemeral" });
      expect(up.body.stream).toBeUndefined();
      expect(up.headers["anthropic-beta"]).toBe("account-beta-1,interleaved-thinking-2025-05-14");
      expect(up.headers["x-api-key"]).toBe("sk-ant-upstream-msg-0001");

      const usage = await usageOf(response.headers.get("x-promptgate-completion-id")!);
      expect(usage).toMatchObject({ status: "ok", surface: "messages", endUser: "end-user-native", provider: "anthropic", inputTokens: 19, outputTokens: 4, cachedTokens: 7, stream: false });

      // The client's anthropic-version is what the upstream sees: the body is in that version.
      const res = await post({ model: NATIVE, max_tokens: 8, messages: [{ role: "user", content: "v" }] }, { "anthropic-version": "2099-01-01" });
      expect(res.status).toBe(200);
      expect(fakeA.requests.at(-1)!.headers["anthropic-version"]).toBe("2099-01-01");
    });

    it("messages #17.1: a streamed tool-use round trip is relayed event for event: ids, whole arguments, order, stop_reason", async () => {
      fakeA.enqueue({ content: "Checking", toolCalls: [{ id: "toolu_w1", name: "get_weather", arguments: '{"city":"Paris","unit":"c"}' }, { id: "toolu_t2", name: "get_time", arguments: '{"tz":"CET"}' }] });
      const stream = client.messages.stream({ model: NATIVE, max_tokens: 256, tools: [weatherTool, timeTool], messages: [{ role: "user", content: "Weather and time in Paris?" }] });
      const types: string[] = [];
      stream.on("streamEvent", (e) => types.push(e.type));
      const final = await stream.finalMessage();
      expect(final.stop_reason).toBe("tool_use");
      expect(final.content).toEqual([
        { type: "text", text: expect.stringContaining("Checking") },
        { type: "tool_use", id: "toolu_w1", name: "get_weather", input: { city: "Paris", unit: "c" } },
        { type: "tool_use", id: "toolu_t2", name: "get_time", input: { tz: "CET" } },
      ]);
      expect(types[0]).toBe("message_start");
      expect(types.at(-2)).toBe("message_delta");
      expect(types.at(-1)).toBe("message_stop");
      expect(fakeA.requests[0]!.body.stream).toBe(true);

      // Turn two: the tool results go upstream exactly as the client sent them.
      fakeA.enqueue({ content: "Sunny, 14:00" });
      const turn2 = await client.messages.stream({
        model: NATIVE, max_tokens: 256, tools: [weatherTool, timeTool],
        messages: [
          { role: "user", content: "Weather and time in Paris?" },
          { role: "assistant", content: final.content },
          { role: "user", content: [
            { type: "tool_result", tool_use_id: "toolu_w1", content: "sunny" },
            { type: "tool_result", tool_use_id: "toolu_t2", content: [{ type: "text", text: "14:00" }] },
          ] },
        ],
      }).finalMessage();
      expect(turn2.content).toEqual([{ type: "text", text: expect.stringContaining("Sunny") }]);
      expect(turn2.stop_reason).toBe("end_turn");
      expect(fakeA.requests[1]!.body.messages[2].content[1]).toEqual({ type: "tool_result", tool_use_id: "toolu_t2", content: [{ type: "text", text: "14:00" }] });
    });

    it("messages #17.1: a client that goes away mid-stream closes the native upstream request", async () => {
      fakeA.enqueue({ completionTokens: 400, chunkDelayMs: 30 });
      const ac = new AbortController();
      const stream = client.messages.stream({ model: NATIVE, max_tokens: 500, messages: [{ role: "user", content: "Long story" }] }, { signal: ac.signal });
      stream.on("error", () => {});
      stream.finalMessage().catch(() => {});
      await new Promise<void>((resolve) => stream.on("text", () => resolve()));
      ac.abort();
      const aborted = await fakeA.waitForAbort(10_000);
      expect(aborted.chunksSent).toBeLessThan(aborted.chunksPlanned);
    });

    it("messages #17.1: a cut mid-stream ends with an error event (never message_stop), and the SDK throws", async () => {
      fakeA.enqueue({ completionTokens: 40, resetAfterChunks: 5 });
      const res = await post({ model: NATIVE, max_tokens: 64, stream: true, messages: [{ role: "user", content: "Hi" }] });
      expect(res.status).toBe(200);
      const events = await eventsOf(res);
      expect(events[0]![0]).toBe("message_start");
      expect(events.at(-1)![0]).toBe("error");
      expect(events.at(-1)![1]).toMatchObject({ type: "error", error: { type: "api_error", message: expect.stringContaining("upstream") } });
      expect(events.map(([e]) => e)).not.toContain("message_stop");

      fakeA.enqueue({ completionTokens: 40, streamErrorAfterChunks: 4 });
      const stream = client.messages.stream({ model: NATIVE, max_tokens: 64, messages: [{ role: "user", content: "Hi" }] });
      await expect(stream.finalMessage()).rejects.toMatchObject({ error: { type: "error", error: { type: "overloaded_error" } } });
    });
  });

  describe("translated to an OpenAI-compatible account (a claude-* name through a glob alias)", () => {
    it("messages #17.1: the official SDK's non-streamed call gets Anthropic's message object; the upstream gets chat completions", async () => {
      fakeO.enqueue({ content: "Hello from GPT", promptTokens: 20, cachedTokens: 6, completionTokens: 3 });
      // temperature is no longer in this SDK's types, but older clients and agents still send it.
      const params = {
        model: UNKNOWN_CLAUDE, max_tokens: 100, system: "Be brief.", temperature: 0.5, stop_sequences: ["END"],
        metadata: { user_id: "end-user-translated" }, messages: [{ role: "user", content: [{ type: "text", text: "Hi" }, { type: "image", source: { type: "base64", media_type: "image/png", data: "aGVsbG8=" } }] }],
      };
      const { data: msg, response } = await client.messages.create(params as Anthropic.MessageCreateParamsNonStreaming).withResponse();
      expect(msg).toMatchObject({
        type: "message", role: "assistant", stop_reason: "end_turn", stop_sequence: null, content: [{ type: "text", text: "Hello from GPT" }],
        usage: { input_tokens: 14, output_tokens: 3, cache_read_input_tokens: 6, cache_creation_input_tokens: 0 },
      });
      expect(msg.id).toMatch(/^msg_[0-9a-f]{32}$/);
      const up = fakeO.requests[0]!;
      expect(up.path).toBe("/v1/chat/completions");
      expect(up.body).toMatchObject({
        model: "gpt-4o-mini", max_tokens: 100, temperature: 0.5, stop: ["END"], user: "end-user-translated",
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: [{ type: "text", text: "Hi" }, { type: "image_url", image_url: { url: "data:image/png;base64,aGVsbG8=" } }] },
        ],
      });
      const usage = await usageOf(response.headers.get("x-promptgate-completion-id")!);
      expect(usage).toMatchObject({ status: "ok", surface: "messages", endUser: "end-user-translated", provider: "openai", requestedModel: UNKNOWN_CLAUDE, servedModel: "gpt-4o-mini" });
    });

    it("messages #17.1: a streamed tool-use round trip is translated both ways: ids, whole arguments, order, stop_reason", async () => {
      fakeO.enqueue({ content: "Checking", toolCalls: [{ id: "call_w1", name: "get_weather", arguments: '{"city":"Paris","unit":"c"}' }, { id: "call_t2", name: "get_time", arguments: '{"tz":"CET"}' }] });
      const stream = client.messages.stream({ model: UNKNOWN_CLAUDE, max_tokens: 256, tools: [weatherTool, timeTool], tool_choice: { type: "auto", disable_parallel_tool_use: false }, messages: [{ role: "user", content: "Weather and time?" }] });
      const types: string[] = [];
      stream.on("streamEvent", (e) => types.push(e.type));
      const final = await stream.finalMessage();
      expect(final.stop_reason).toBe("tool_use");
      expect(final.content).toEqual([
        { type: "text", text: "Checking" },
        { type: "tool_use", id: "call_w1", name: "get_weather", input: { city: "Paris", unit: "c" } },
        { type: "tool_use", id: "call_t2", name: "get_time", input: { tz: "CET" } },
      ]);
      expect(final.usage).toMatchObject({ input_tokens: 10, output_tokens: expect.any(Number) });
      expect(types).toEqual([
        "message_start",
        "content_block_start", "content_block_delta", "content_block_stop",
        "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
        "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
        "message_delta", "message_stop",
      ]);
      expect(fakeO.requests[0]!.body.tools[0]).toEqual({ type: "function", function: { name: "get_weather", description: "The weather in a city", parameters: weatherTool.input_schema } });
      expect(fakeO.requests[0]!.body.tool_choice).toBe("auto");

      fakeO.enqueue({ content: "Sunny at 14:00" });
      const turn2 = await client.messages.stream({
        model: UNKNOWN_CLAUDE, max_tokens: 256, tools: [weatherTool, timeTool],
        messages: [
          { role: "user", content: "Weather and time?" },
          { role: "assistant", content: final.content },
          { role: "user", content: [
            { type: "tool_result", tool_use_id: "call_w1", content: "sunny" },
            { type: "tool_result", tool_use_id: "call_t2", content: [{ type: "text", text: "14:00" }], is_error: false },
            { type: "text", text: "Thanks" },
          ] },
        ],
      }).finalMessage();
      expect(turn2).toMatchObject({ stop_reason: "end_turn", content: [{ type: "text", text: "Sunny at 14:00" }] });
      expect(fakeO.requests[1]!.body.messages).toEqual([
        { role: "user", content: "Weather and time?" },
        { role: "assistant", content: "Checking", tool_calls: [
          { id: "call_w1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris","unit":"c"}' } },
          { id: "call_t2", type: "function", function: { name: "get_time", arguments: '{"tz":"CET"}' } },
        ] },
        { role: "tool", tool_call_id: "call_w1", content: "sunny" },
        { role: "tool", tool_call_id: "call_t2", content: "14:00" },
        { role: "user", content: "Thanks" },
      ]);
    });

    it("messages #17.1: a cut mid-stream ends with an error event in Anthropic's envelope", async () => {
      fakeO.enqueue({ completionTokens: 40, resetAfterChunks: 4 });
      const res = await post({ model: UNKNOWN_CLAUDE, max_tokens: 64, stream: true, messages: [{ role: "user", content: "Hi" }] });
      expect(res.status).toBe(200);
      const events = await eventsOf(res);
      expect(events.at(-1)).toEqual(["error", { type: "error", error: { type: "api_error", message: expect.stringContaining("upstream stream failed") } }]);
      expect(events.map(([e]) => e)).not.toContain("message_stop");
    });

    it("messages #17.1: a client that goes away mid-stream closes the upstream request", async () => {
      fakeO.enqueue({ completionTokens: 400, chunkDelayMs: 30 });
      const ac = new AbortController();
      const stream = client.messages.stream({ model: UNKNOWN_CLAUDE, max_tokens: 500, messages: [{ role: "user", content: "Long story" }] }, { signal: ac.signal });
      // The SDK rejects its own promises on abort: expected here.
      stream.on("error", () => {});
      stream.finalMessage().catch(() => {});
      await new Promise<void>((resolve) => stream.on("text", () => resolve()));
      ac.abort();
      const aborted = await fakeO.waitForAbort(10_000);
      expect(aborted.chunksSent).toBeLessThan(aborted.chunksPlanned);
    });
  });

  describe("translated to the simulator", () => {
    it("messages #17.1: non-streamed and streamed answers from the simulator, with a tool round trip in the history", async () => {
      const history: Anthropic.MessageParam[] = [
        { role: "user", content: "Weather?" },
        { role: "assistant", content: [{ type: "thinking", thinking: "I should call the tool", signature: "sig" }, { type: "tool_use", id: "toolu_sim1", name: "get_weather", input: { city: "Oslo" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_sim1", content: "snow" }] },
      ];
      const msg = await client.messages.create({ model: SIM, max_tokens: 50, tools: [weatherTool], messages: history });
      expect(msg).toMatchObject({ type: "message", role: "assistant", stop_reason: expect.stringMatching(/^(end_turn|max_tokens)$/) });
      expect(msg.content[0]).toMatchObject({ type: "text", text: expect.any(String) });
      expect(msg.usage.input_tokens).toBeGreaterThan(0);
      expect(msg.usage.output_tokens).toBeGreaterThan(0);

      const stream = client.messages.stream({ model: SIM, max_tokens: 50, tools: [weatherTool], messages: history });
      let text = "";
      stream.on("text", (t) => (text += t));
      const final = await stream.finalMessage();
      expect(text.length).toBeGreaterThan(0);
      expect(final.content).toEqual([{ type: "text", text }]);
      expect(final.usage.output_tokens).toBeGreaterThan(0);
    });
  });

  describe("errors in Anthropic's envelope", () => {
    it("messages #17.1: client mistakes are 4xx with Anthropic's error types, never 500", async () => {
      const noMax = await post({ model: NATIVE, messages: [{ role: "user", content: "Hi" }] });
      expect(noMax.status).toBe(400);
      expect(await noMax.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: expect.stringContaining("max_tokens") } });
      await expect(client.messages.create({ model: NATIVE, messages: [{ role: "user", content: "Hi" }] } as unknown as Anthropic.MessageCreateParamsNonStreaming))
        .rejects.toBeInstanceOf(Anthropic.BadRequestError);

      const badJson = await fetch(`${app.url}/api/v1/messages`, { method: "POST", headers: { "x-api-key": key, "content-type": "application/json" }, body: "{" });
      expect(badJson.status).toBe(400);
      expect((await badJson.json()).error.type).toBe("invalid_request_error");

      const badKey = new Anthropic({ apiKey: "pg-not-a-key", baseURL: `${app.url}/api`, maxRetries: 0 });
      await expect(badKey.messages.create({ model: NATIVE, max_tokens: 8, messages: [{ role: "user", content: "Hi" }] })).rejects.toMatchObject({ status: 401, error: { type: "error", error: { type: "authentication_error" } } });

      const unknown = await post({ model: "no-such-model", max_tokens: 8, messages: [{ role: "user", content: "Hi" }] });
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ type: "error", error: { type: "not_found_error" } });

      const get = await fetch(`${app.url}/api/v1/messages`, { headers: { "x-api-key": key } });
      expect(get.status).toBe(405);
      expect(await get.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    });

    it("messages #17.1: an upstream's own error keeps its type; Anthropic's own tools are refused for an upstream that cannot run them", async () => {
      fakeA.enqueue({ status: 400, body: { type: "error", error: { type: "invalid_request_error", message: "messages.0: bad block" } } });
      const rejected = await post({ model: NATIVE, max_tokens: 8, messages: [{ role: "user", content: "Hi" }] });
      expect(rejected.status).toBe(400);
      expect(await rejected.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: expect.stringContaining("bad block") } });

      const serverTool = await post({ model: UNKNOWN_CLAUDE, max_tokens: 8, tools: [{ type: "web_search_20250305", name: "web_search" }], messages: [{ role: "user", content: "Hi" }] });
      expect(serverTool.status).toBe(400);
      expect(await serverTool.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: expect.stringContaining("web_search") } });
      expect(fakeO.requests).toHaveLength(0);
    });

    it("messages #17.1: a key's model scope is a permission_error; an overloaded Anthropic upstream keeps its overloaded_error type (HTTP 502, as every exhausted upstream)", async () => {
      const scoped = await post({ model: NATIVE, max_tokens: 8, messages: [{ role: "user", content: "Hi" }] }, { "x-api-key": scopedKey });
      expect(scoped.status).toBe(403);
      expect(await scoped.json()).toMatchObject({ type: "error", error: { type: "permission_error" } });

      fakeA.setDefault({ status: 529 });
      await expect(client.messages.create({ model: NATIVE, max_tokens: 8, messages: [{ role: "user", content: "Hi" }] }))
        .rejects.toMatchObject({ status: 502, error: { type: "error", error: { type: "overloaded_error" } } });
    });

    it("messages #17.1: a Bearer key works as well as x-api-key", async () => {
      fakeO.enqueue({ content: "ok" });
      const res = await fetch(`${app.url}/api/v1/messages?beta=true`, {
        method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "anthropic-beta": "prompt-caching-2024-07-31" },
        body: JSON.stringify({ model: UNKNOWN_CLAUDE, max_tokens: 8, messages: [{ role: "user", content: "Hi" }] }),
      });
      expect(res.status).toBe(200);
      expect((await res.json()).content).toEqual([{ type: "text", text: "ok" }]);
    });
  });

  it("messages #17.1: count_tokens answers input_tokens for the official SDK", async () => {
    const { input_tokens } = await client.messages.countTokens({ model: UNKNOWN_CLAUDE, system: "Be brief.", tools: [weatherTool], messages: [{ role: "user", content: "How many tokens is this?" }] });
    expect(input_tokens).toBeGreaterThan(5);
  });

  it("messages #17.1: /v1/models lists the exact names, never a glob", async () => {
    const res = await fetch(`${app.url}/api/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    const ids = ((await res.json()) as { data: { id: string }[] }).data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining([NATIVE, SIM, "msg-gpt"]));
    expect(ids.some((id) => id.includes("*"))).toBe(false);
    // The Anthropic SDK reads the same list.
    const listed: string[] = [];
    for await (const m of client.models.list()) listed.push(m.id);
    expect(listed).toEqual(ids);
  });

  it("messages #17.4: a key's content filter masks text across chunk boundaries, an Anthropic account included (filtered calls are translated)", async () => {
    const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    const split = ["Write to jo", "hn.doe@exam", "ple.com today"];
    const body = [
      frame("message_start", { type: "message_start", message: { id: "msg_split", type: "message", role: "assistant", model: NATIVE, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 5, output_tokens: 1 } } }),
      frame("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
      ...split.map((text) => frame("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } })),
      frame("content_block_stop", { type: "content_block_stop", index: 0 }),
      frame("message_delta", { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 9 } }),
      frame("message_stop", { type: "message_stop" }),
    ].join("");
    fakeA.enqueue({ body, headers: { "content-type": "text/event-stream" } });
    const maskedClient = new Anthropic({ apiKey: maskedKey, baseURL: `${app.url}/api`, maxRetries: 0 });
    const stream = maskedClient.messages.stream({ model: NATIVE, max_tokens: 64, messages: [{ role: "user", content: "mail bob@example.org" }] });
    let text = "";
    stream.on("text", (t) => (text += t));
    const final = await stream.finalMessage();
    expect(text).toBe(`Write to ${"*".repeat(20)} today`);
    expect(final.content).toEqual([{ type: "text", text }]);
    expect(final.stop_reason).toBe("end_turn");
    expect(fakeA.requests[0]!.body.messages[0].content).toEqual([{ type: "text", text: `mail ${"*".repeat(15)}` }]);
  });

  it("messages #17.1: metadata.user_id is the end user a per-user quota counts, refused in Anthropic's envelope", async () => {
    fakeO.setDefault({ content: "ok" });
    const capped = new Anthropic({ apiKey: cappedKey, baseURL: `${app.url}/api`, maxRetries: 0 });
    const ask = (user: string) => capped.messages.create({ model: UNKNOWN_CLAUDE, max_tokens: 8, metadata: { user_id: user }, messages: [{ role: "user", content: "Hi" }] })
      .then(() => 200, (e: InstanceType<typeof Anthropic.APIError>) => {
        expect(e.error).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
        return e.status;
      });
    // One request a minute per user: of three in a row at least two share a minute, whatever the clock.
    const ana = [await ask("ana"), await ask("ana"), await ask("ana")];
    expect(ana[0]).toBe(200);
    expect(ana).toContain(429);
    expect(await ask("bo")).toBe(200);
  });

  it("masking #17.4: a key's content filter masks tool-call arguments across chunk boundaries in a translated stream, the input still whole JSON", async () => {
    fakeO.enqueue({ toolCalls: [{ id: "call_m1", name: "send_mail", arguments: '{"to":"john.doe@example.com","n":5551234567}' }] });
    const maskedClient = new Anthropic({ apiKey: maskedKey, baseURL: `${app.url}/api`, maxRetries: 0 });
    const final = await maskedClient.messages.stream({ model: UNKNOWN_CLAUDE, max_tokens: 64, tools: [weatherTool], messages: [{ role: "user", content: "Mail John" }] }).finalMessage();
    expect(final.content).toEqual([{ type: "tool_use", id: "call_m1", name: "send_mail", input: { to: "*".repeat(20), n: 5551234567 } }]);
    expect(final.stop_reason).toBe("tool_use");
  });

  describe("the Vercel AI SDK's Anthropic provider", () => {
    it("messages #17.5: generateText natively and streamText with tools translated", async () => {
      const anthropic = createAnthropic({ baseURL: `${app.url}/api/v1`, apiKey: key });
      fakeA.enqueue({ content: "Native hello" });
      const native = await generateText({ model: anthropic(NATIVE), prompt: "Hi", maxOutputTokens: 32 });
      expect(native.text).toBe("Native hello");
      expect(native.usage.inputTokens).toBe(10);

      fakeO.enqueue({ toolCalls: [{ id: "call_v1", name: "get_weather", arguments: '{"city":"Rome"}' }] });
      const streamed = streamText({
        model: anthropic(UNKNOWN_CLAUDE),
        prompt: "Weather in Rome?",
        tools: { get_weather: tool({ description: "The weather in a city", inputSchema: jsonSchema<{ city: string }>({ type: "object", properties: { city: { type: "string" } }, required: ["city"] }) }) },
      });
      const calls = await streamed.toolCalls;
      expect(calls).toEqual([expect.objectContaining({ toolCallId: "call_v1", toolName: "get_weather", input: { city: "Rome" } })]);
      expect(await streamed.finishReason).toBe("tool-calls");
    });
  });

  // Last: the failed account may cool down, which no later test must see.
  it("messages #17.4: failover before the first byte crosses from a native Anthropic account to a translated OpenAI one", async () => {
    fakeA.enqueue({ status: 529 });
    fakeO.enqueue({ content: "From the fallback" });
    const stream = client.messages.stream({ model: BOTH, max_tokens: 64, messages: [{ role: "user", content: "Hi" }] });
    const final = await stream.finalMessage();
    expect(final.content).toEqual([{ type: "text", text: "From the fallback" }]);
    expect(fakeA.requests).toHaveLength(1);
    expect(fakeO.requests).toHaveLength(1);
    const { response } = await stream.withResponse();
    const usage = await usageOf(response.headers.get("x-promptgate-completion-id")!);
    expect(usage).toMatchObject({ status: "ok", surface: "messages", provider: "openai", stream: true });
  });
});
