// POST/GET/DELETE /api/v1/responses: OpenAI's Responses API through the one
// pipeline, driven by the official openai SDK and the Vercel AI SDK's responses
// model against a real `next start`, with real fake upstreams (OpenAI chat and
// Anthropic messages wire) behind it.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, Output, stepCountIs, streamText, tool } from "ai";
import pg from "pg";
import { z } from "zod";
import { createAccount } from "@/lib/accounts";
import { createApiKey } from "@/lib/auth/api-keys";
import type { Principal } from "@/lib/core";
import { closeDb, db } from "@/lib/db";
import { createExperiment, stepExperiment } from "@/lib/experiments";
import { setKeyFilters } from "@/lib/filters";
import { createPrompt, createPromptVersion, moveLabel } from "@/lib/prompts";
import { sweepStoredResponses } from "@/lib/responses";
import { settlementSteps } from "@/lib/usage";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { startApp, type AppServer } from "../../support/app-server";
import { usageEventOf } from "../../support/eventually";

const system = { kind: "system", name: "test" } as const;
const run = Date.now().toString(36);
const admin: Principal = { kind: "user", user: { id: randomUUID(), email: `admin-${run}@responses.test`, name: "admin", role: "admin" } };

type UsageRow = {
  status: string; surface: string; inputTokens: number; outputTokens: number; errorCode: string | null; stream: boolean;
  promptVersionId: string | null; experimentId: string | null; variantId: string | null; endUser: string | null; metadata: Record<string, unknown> | null;
};
type Ev = { type: string; sequence_number: number; [k: string]: unknown };

// Raw SSE events of a streamed answer, in order (event name and data).
async function sseEvents(res: Response): Promise<{ event: string; data: Ev }[]> {
  const text = await res.text();
  return text
    .split("\n\n")
    .filter((f) => f.trim())
    .map((f) => {
      const event = /^event: (.*)$/m.exec(f)?.[1] ?? "";
      const data = JSON.parse(/^data: (.*)$/m.exec(f)![1]!) as Ev;
      return { event, data };
    });
}

describe("POST /api/v1/responses", () => {
  let app: AppServer;
  let fake: FakeUpstream; // OpenAI chat wire
  let fakeAnthropic: FakeUpstream;
  let fakeNative: FakeUpstream; // OpenAI Responses wire (an account with responsesApi on)
  let key: string;
  let otherKey: string;
  let maskedKey: string;
  let client: OpenAI;
  let sql: pg.Pool;
  const model = `resp-model-${run}`;
  const claude = `claude-resp-${run}`;
  const nativeModel = `resp-native-${run}`;
  const simModel = `resp-sim-${run}`;
  const simPrompt = `resp-sim-prompt-${run}`;
  const prompt = `resp-prompt-${run}`;

  const usageOf = (id: string) => usageEventOf<UsageRow>(sql, id.replace(/^resp_/, "chatcmpl-"));
  const post = (body: unknown, k = key) =>
    fetch(`${app.url}/api/v1/responses`, { method: "POST", headers: { authorization: `Bearer ${k}`, "content-type": "application/json" }, body: JSON.stringify(body) });

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL });
    [fake, fakeAnthropic, fakeNative] = await Promise.all([startFakeUpstream(), startFakeUpstream(), startFakeUpstream()]);
    await createAccount(system, { name: `resp-native-${run}`, provider: "openai", baseUrl: fakeNative.openaiBaseUrl, apiKey: "sk-upstream-responses-02", models: [nativeModel], settings: { responsesApi: true }, firstByteTimeoutMs: 2000, idleTimeoutMs: 2000 });
    await createAccount(system, { name: `resp-openai-${run}`, provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-upstream-responses-01", models: [model, `resp-exp-${run}`], firstByteTimeoutMs: 2000, idleTimeoutMs: 2000 });
    await createAccount(system, { name: `resp-anthropic-${run}`, provider: "anthropic", baseUrl: fakeAnthropic.url, apiKey: "sk-ant-upstream-resp01", models: [claude], firstByteTimeoutMs: 2000, idleTimeoutMs: 2000 });
    await createAccount(system, { name: `resp-sim-${run}`, provider: "simulator", models: [simModel], settings: { ttftMs: 0, tokensPerSecond: 0 } });
    await createPrompt(admin, {
      name: simPrompt, commitMessage: "v1", type: "chat",
      messages: [{ role: "system", content: "You answer {{customer_name}}." }, { role: "user", content: "{{question}}" }],
      variables: [{ name: "customer_name", type: "string", required: true }, { name: "question", type: "string", required: true }],
      config: { model: simModel },
    });
    await moveLabel(admin, simPrompt, "production", { version: 1 });
    key = (await createApiKey(system, { name: `responses-${run}`, scopes: ["completions"] })).key;
    otherKey = (await createApiKey(system, { name: `responses-other-${run}`, scopes: ["completions"] })).key;
    const masked = await createApiKey(system, { name: `responses-masked-${run}`, scopes: ["completions"] });
    maskedKey = masked.key;
    await setKeyFilters(system, masked.row.id, { terms: ["Project Falcon"] });
    // A stored prompt with an experiment running on its production label.
    const content = (sys: string) => ({
      type: "chat",
      messages: [{ role: "system", content: sys }, { role: "user", content: "Question: {{question}} ({{count}})" }],
      variables: [{ name: "question", type: "string", required: true }, { name: "count", type: "number", required: true }],
      config: { model: `resp-exp-${run}`, temperature: 0.5, max_tokens: 50 },
    });
    await createPrompt(admin, { name: prompt, commitMessage: "v1", ...content("Variant A system.") });
    await createPromptVersion(admin, prompt, { commitMessage: "v2", ...content("Variant B system.") });
    await moveLabel(admin, prompt, "production", { version: 1 });
    const experiment = await createExperiment(admin, { name: `resp-exp-${run}`, prompt, variants: [{ name: "A", version: 1, weight: 50, control: true }, { name: "B", version: 2, weight: 50 }] });
    await stepExperiment(admin, experiment.id, "start");
    app = await startApp({ GATEWAY_RETRY_BASE_MS: "10", ACCOUNT_PROBE_TICK_MS: "3600000" });
    client = new OpenAI({ apiKey: key, baseURL: `${app.url}/api/v1`, maxRetries: 0 });
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
    await Promise.all([fake?.close(), fakeAnthropic?.close(), fakeNative?.close()]);
    await sql?.end();
    await closeDb();
  });

  beforeEach(() => {
    fake.reset();
    fakeAnthropic.reset();
    fakeNative.reset();
  });

  it("answers responses.create (non-streamed) from the official SDK: instructions and input become chat messages, usage surface 'responses'", async () => {
    fake.enqueue({ content: "Hello there", promptTokens: 7, completionTokens: 2 });
    const r = await client.responses.create({ model, instructions: "Be brief.", input: "Say hello", max_output_tokens: 20, temperature: 0.2, top_p: 0.9, metadata: { team: "a" }, user: "end-user-1" });
    expect(r).toMatchObject({ object: "response", status: "completed", model, output_text: "Hello there", usage: { input_tokens: 7, output_tokens: 2, total_tokens: 9 } });
    expect(r.id).toMatch(/^resp_[0-9a-f]{32}$/);
    expect(r.output[0]).toMatchObject({ type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: "Hello there" }] });
    // An OpenAI-compatible account (not api.openai.com, no responsesApi setting) gets chat completions.
    expect(fake.requests[0]!.path).toBe("/v1/chat/completions");
    const sent = fake.requests[0]!.body;
    expect(sent.messages).toEqual([{ role: "system", content: "Be brief." }, { role: "user", content: "Say hello" }]);
    expect(sent).toMatchObject({ max_completion_tokens: 20, temperature: 0.2, top_p: 0.9, user: "end-user-1" });
    const u = await usageOf(r.id);
    expect(u).toMatchObject({ status: "ok", surface: "responses", inputTokens: 7, outputTokens: 2, endUser: "end-user-1", metadata: { team: "a" } });
  });

  it("streams a tool-call round trip to the official SDK: the exact event sequence, sequence_number 0..n, arguments whole, call ids kept", async () => {
    fake.enqueue({ content: "Let me check.", toolCalls: [{ id: "call_w1", name: "weather", arguments: '{"city":"Paris","unit":"c"}' }, { id: "call_w2", name: "weather", arguments: '{"city":"Oslo"}' }] });
    const tools: OpenAI.Responses.Tool[] = [{ type: "function", name: "weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }, strict: false }];
    const stream = client.responses.stream({ model, input: "Weather in Paris and Oslo?", tools, tool_choice: "auto", parallel_tool_calls: true });
    const events: Ev[] = [];
    for await (const e of stream) events.push(e as unknown as Ev);
    const final = await stream.finalResponse();
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.map((e) => e.type)).toEqual([
      "response.created", "response.in_progress",
      // The fake streams "Let me check." as "Let", " me", " check.".
      "response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.output_text.delta", "response.output_text.delta",
      "response.output_text.done", "response.content_part.done", "response.output_item.done",
      "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.delta",
      "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.delta",
      "response.function_call_arguments.done", "response.output_item.done", "response.function_call_arguments.done", "response.output_item.done",
      "response.completed",
    ]);
    expect(final.output_text).toBe("Let me check.");
    const calls = final.output.filter((o) => o.type === "function_call");
    expect(calls.map((c) => [c.call_id, c.name, c.arguments])).toEqual([["call_w1", "weather", '{"city":"Paris","unit":"c"}'], ["call_w2", "weather", '{"city":"Oslo"}']]);
    expect(fake.requests[0]!.body).toMatchObject({ tool_choice: "auto", parallel_tool_calls: true, stream: true });
    expect(fake.requests[0]!.body.tools).toEqual([{ type: "function", function: { name: "weather", description: "Weather", parameters: tools[0]!.type === "function" ? tools[0].parameters : null, strict: false } }]);

    // The results go back as function_call_output items on the chain.
    fake.enqueue({ content: "Paris 20C, Oslo 5C" });
    const second = await client.responses.create({
      model, previous_response_id: final.id, tools,
      input: [{ type: "function_call_output", call_id: "call_w1", output: "20C" }, { type: "function_call_output", call_id: "call_w2", output: "5C" }],
    });
    expect(second.output_text).toBe("Paris 20C, Oslo 5C");
    const msgs = fake.requests[1]!.body.messages;
    expect(msgs).toEqual([
      { role: "user", content: "Weather in Paris and Oslo?" },
      { role: "assistant", content: "Let me check.", tool_calls: [
        { id: "call_w1", type: "function", function: { name: "weather", arguments: '{"city":"Paris","unit":"c"}' } },
        { id: "call_w2", type: "function", function: { name: "weather", arguments: '{"city":"Oslo"}' } },
      ] },
      { role: "tool", tool_call_id: "call_w1", content: "20C" },
      { role: "tool", tool_call_id: "call_w2", content: "5C" },
    ]);
  });

  it("runs the Vercel AI SDK's responses model through a streamed tool round trip (OpenAI chat and Anthropic upstreams)", async () => {
    const openai = createOpenAI({ apiKey: key, baseURL: `${app.url}/api/v1` });
    for (const [upstream, m] of [[fake, model], [fakeAnthropic, claude]] as const) {
      // Text before the call: the AI SDK sends it back as an item_reference to the stored response (store is on by default).
      upstream.enqueue([{ content: "Checking the weather.", toolCalls: [{ id: "toolu_1", name: "weather", arguments: '{"city":"Rome"}' }] }, { content: "Rome is sunny" }]);
      const seen: unknown[] = [];
      const result = streamText({
        model: openai.responses(m),
        prompt: "Weather in Rome?",
        tools: { weather: tool({ description: "Weather", inputSchema: z.object({ city: z.string() }), execute: async (input) => { seen.push(input); return { sky: "sunny" }; } }) },
        stopWhen: stepCountIs(2),
      });
      expect(await result.text).toBe("Rome is sunny");
      expect(seen).toEqual([{ city: "Rome" }]);
      const steps = await result.steps;
      expect(steps[0]!.toolCalls.map((c) => [c.toolCallId, c.toolName])).toEqual([["toolu_1", "weather"]]);
      expect(steps[0]!.finishReason).toBe("tool-calls");
      expect(steps[1]!.finishReason).toBe("stop");
      expect(upstream.requests).toHaveLength(2);
      const second = JSON.stringify(upstream.requests[1]!.body);
      expect(second).toContain("toolu_1");
      expect(second).toContain("sunny");
      expect(second).toContain("Checking the weather.");
    }
  });

  it("answers non-streamed tool calls as function_call items, and a forced function as tool_choice", async () => {
    fake.enqueue({ toolCalls: [{ id: "call_ns", name: "lookup", arguments: '{"q":"x"}' }] });
    const r = await client.responses.create({
      model, input: "look it up", tools: [{ type: "function", name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } } }, strict: false }],
      tool_choice: { type: "function", name: "lookup" },
    });
    expect(r.output).toEqual([{ id: `fc_${r.id.slice(5)}_0`, type: "function_call", status: "completed", call_id: "call_ns", name: "lookup", arguments: '{"q":"x"}' }]);
    expect(fake.requests[0]!.body.tool_choice).toEqual({ type: "function", function: { name: "lookup" } });
  });

  it("translates text.format json_schema to response_format, for the official SDK and the AI SDK's structured output", async () => {
    fake.enqueue({ content: '{"name":"Ada","age":36}' });
    const schema = { type: "object", properties: { name: { type: "string" }, age: { type: "number" } }, required: ["name", "age"], additionalProperties: false };
    const r = await client.responses.create({ model, input: "A person", text: { format: { type: "json_schema", name: "person", schema, strict: true } } });
    expect(JSON.parse(r.output_text)).toEqual({ name: "Ada", age: 36 });
    expect(fake.requests[0]!.body.response_format).toEqual({ type: "json_schema", json_schema: { name: "person", schema, strict: true } });
    expect(r.text).toEqual({ format: { type: "json_schema", name: "person", schema, strict: true } });

    fake.enqueue({ content: '{"name":"Grace","age":85}' });
    const openai = createOpenAI({ apiKey: key, baseURL: `${app.url}/api/v1` });
    const { output } = await generateText({ model: openai.responses(model), prompt: "A person", output: Output.object({ schema: z.object({ name: z.string(), age: z.number() }) }) });
    expect(output).toEqual({ name: "Grace", age: 85 });
    expect(fake.requests[1]!.body.response_format).toMatchObject({ type: "json_schema", json_schema: { schema: { type: "object" } } });
  });

  it("ends a stream cut mid-way with response.failed and an error event, never response.completed (official SDK throws, AI SDK reports an error)", async () => {
    fake.enqueue({ content: "one two three four five six", resetAfterChunks: 3 });
    const res = await post({ model, input: "count", stream: true });
    expect(res.status).toBe(200);
    const events = await sseEvents(res);
    const types = events.map((e) => e.event);
    expect(types.slice(-2)).toEqual(["response.failed", "error"]);
    expect(types).not.toContain("response.completed");
    expect(events.every((e) => e.event === e.data.type)).toBe(true);
    expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
    const failed = events.at(-2)!.data as Ev & { response: { status: string; error: { code: string; message: string } } };
    expect(failed.response.status).toBe("failed");
    expect(failed.response.error.message).toMatch(/upstream stream failed/);
    expect(events.at(-1)!.data).toMatchObject({ type: "error", message: expect.stringMatching(/upstream stream failed/), error: { type: "upstream_error" } });
    const created = events[0]!.data as Ev & { response: { id: string } };
    expect((await usageOf(created.response.id)).status).toBe("upstream_error");

    fake.enqueue({ content: "one two three four five six", resetAfterChunks: 3 });
    const stream = await client.responses.create({ model, input: "count", stream: true });
    await expect(async () => {
      for await (const _ of stream) void _;
    }).rejects.toThrow(/upstream stream failed/);

    fake.enqueue({ content: "one two three four five six", resetAfterChunks: 3 });
    const openai = createOpenAI({ apiKey: key, baseURL: `${app.url}/api/v1` });
    const parts: string[] = [];
    const result = streamText({ model: openai.responses(model), prompt: "count", onError: () => {} });
    for await (const p of result.fullStream) parts.push(p.type);
    expect(parts).toContain("error");
  });

  it("passes the client's abort on to the upstream", async () => {
    fake.enqueue({ completionTokens: 200, chunkDelayMs: 50 });
    const stream = await client.responses.create({ model, input: "long", stream: true });
    let n = 0;
    for await (const e of stream) {
      if (e.type === "response.output_text.delta" && ++n === 2) break;
    }
    const aborted = await fake.waitForAbort(10_000);
    expect(aborted.chunksSent).toBeLessThan(200);
  });

  it("stores a response for its key: previous_response_id chains it, GET reads it, DELETE removes it, another key gets 404", async () => {
    fake.enqueue({ content: "My name is Bot." });
    const first = await client.responses.create({ model, input: "What is your name?", instructions: "Only for the first turn" });
    expect((first as unknown as { store: boolean }).store).toBe(true);
    const got = await client.responses.retrieve(first.id);
    expect(got).toMatchObject({ id: first.id, output_text: "My name is Bot.", status: "completed" });

    fake.enqueue({ content: "You asked my name." });
    const second = await client.responses.create({ model, input: "What did I ask?", previous_response_id: first.id });
    expect(second.previous_response_id).toBe(first.id);
    // Instructions are not carried over (as OpenAI does); the conversation is.
    expect(fake.requests[1]!.body.messages).toEqual([
      { role: "user", content: "What is your name?" },
      { role: "assistant", content: "My name is Bot." },
      { role: "user", content: "What did I ask?" },
    ]);

    const other = new OpenAI({ apiKey: otherKey, baseURL: `${app.url}/api/v1`, maxRetries: 0 });
    await expect(other.responses.retrieve(first.id)).rejects.toMatchObject({ status: 404 });
    await expect(other.responses.delete(first.id)).rejects.toMatchObject({ status: 404 });
    const chained = await post({ model, input: "x", previous_response_id: first.id }, otherKey);
    expect(chained.status).toBe(404);
    expect(await chained.json()).toMatchObject({ error: { type: "not_found_error", param: "previous_response_id" } });
    expect(fake.requests).toHaveLength(2);

    await client.responses.delete(first.id);
    await expect(client.responses.retrieve(first.id)).rejects.toMatchObject({ status: 404 });
    await expect(client.responses.delete(first.id)).rejects.toMatchObject({ status: 404 });
  });

  it("stores a streamed response before response.completed, so the next call can chain on it at once", async () => {
    fake.enqueue({ content: "streamed answer" });
    const stream = client.responses.stream({ model, input: "Hi" });
    const final = await stream.finalResponse();
    fake.enqueue({ content: "ok" });
    await client.responses.create({ model, input: "again", previous_response_id: final.id });
    expect(fake.requests[1]!.body.messages.at(-2)).toEqual({ role: "assistant", content: "streamed answer" });
  });

  it("reaches the upstream without touching the stored-responses table when no stored response is named (the write comes after)", async () => {
    const lock = await sql.connect();
    try {
      await lock.query("BEGIN");
      await lock.query(`LOCK TABLE "StoredResponse" IN ACCESS EXCLUSIVE MODE`);
      fake.enqueue([{ content: "not kept" }, { content: "kept later" }]);
      // store: false never waits on the table; store: true gets its upstream answer, then waits to be written.
      const free = await client.responses.create({ model, input: "a", store: false }, { timeout: 10_000 });
      expect(free.output_text).toBe("not kept");
      const stored = client.responses.create({ model, input: "b" });
      await fake.waitForRequests(2, 10_000);
      let settled = false;
      void stored.finally(() => (settled = true)).catch(() => {});
      await new Promise((r) => setTimeout(r, 200));
      expect(settled).toBe(false);
      await lock.query("COMMIT");
      const r = await stored;
      expect((await client.responses.retrieve(r.id)).output_text).toBe("kept later");
    } finally {
      await lock.query("ROLLBACK").catch(() => {});
      lock.release();
    }
  });

  it("keeps nothing with store: false", async () => {
    fake.enqueue({ content: "forget me" });
    const r = await client.responses.create({ model, input: "secret", store: false });
    expect((r as unknown as { store: boolean }).store).toBe(false);
    await expect(client.responses.retrieve(r.id)).rejects.toMatchObject({ status: 404 });
    const rows = await sql.query(`SELECT 1 FROM "StoredResponse" WHERE id = $1`, [r.id]);
    expect(rows.rowCount).toBe(0);
  });

  it("refuses built-in tools with a 400 that names the tool, in OpenAI's error envelope, before any upstream call", async () => {
    for (const [tools, name] of [
      [[{ type: "web_search_preview" }], "web_search_preview"],
      [[{ type: "function", name: "f", parameters: {} }, { type: "file_search", vector_store_ids: ["vs_1"] }], "file_search"],
      [[{ type: "computer_use_preview", display_width: 1, display_height: 1, environment: "browser" }], "computer_use_preview"],
      [[{ type: "code_interpreter", container: { type: "auto" } }], "code_interpreter"],
    ] as const) {
      const res = await post({ model, input: "x", tools });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { message: string; type: string; code: string; param: string } };
      expect(body.error.message).toContain(`'${name}'`);
      expect(body.error).toMatchObject({ type: "invalid_request_error", code: "unsupported_tool", param: `tools[${tools.length - 1}].type` });
    }
    await expect(client.responses.create({ model, input: "x", tools: [{ type: "web_search_preview" }] })).rejects.toMatchObject({ status: 400 });
    expect(fake.requests).toHaveLength(0);
  });

  it("serves a stored prompt through responses.create with an experiment running: the variant's version, typed variables, usage records version and variant", async () => {
    fake.setDefault({ content: "prompted" });
    const seen = new Map<string, string>();
    for (let i = 0; i < 12; i++) {
      const raw = await client.responses.create({ prompt: { id: prompt, variables: { question: "why?", count: 3 } }, input: "extra turn", user: `subject-${i}` } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming).withResponse();
      const variant = raw.response.headers.get("x-promptgate-variant")!;
      expect(["A", "B"]).toContain(variant);
      expect(raw.data.output_text).toBe("prompted");
      seen.set(`subject-${i}`, variant);
      const sent = fake.requests.at(-1)!.body;
      expect(sent.messages).toEqual([
        { role: "system", content: `Variant ${variant} system.` },
        { role: "user", content: "Question: why? (3)" },
        { role: "user", content: "extra turn" },
      ]);
      expect(sent.model).toBe(`resp-exp-${run}`);
      expect(sent.user).toBe(`subject-${i}`);
      const u = await usageOf(raw.data.id);
      const version = await db.promptVersion.findUnique({ where: { id: u.promptVersionId! } });
      expect(version?.version).toBe(variant === "A" ? 1 : 2);
      expect(u.variantId).not.toBeNull();
      expect(u.experimentId).not.toBeNull();
      expect(u.surface).toBe("responses");
    }
    // Sticky: the same subject gets the same variant.
    const again = await client.responses.create({ prompt: { id: prompt, variables: { question: "why?", count: 3 } }, input: "x", user: "subject-0" } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming).withResponse();
    expect(again.response.headers.get("x-promptgate-variant")).toBe(seen.get("subject-0"));

    // Typed variables: the same error as /api/completion.
    const bad = await post({ prompt: { id: prompt, variables: { question: "why?", count: "three" } }, input: "x" });
    const completion = await fetch(`${app.url}/api/completion`, {
      method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ prompt, variables: { question: "why?", count: "three" } }),
    });
    expect(bad.status).toBe(400);
    expect(bad.status).toBe(completion.status);
    const withoutRequestId = (b: { error: Record<string, unknown> }) => ({ error: { ...b.error, request_id: undefined } });
    expect(withoutRequestId(await bad.json())).toEqual(withoutRequestId(await completion.json()));

    // A version number (as a string, as OpenAI sends it) pins the version outside the experiment's label.
    fake.setDefault({ content: "pinned" });
    await client.responses.create({ prompt: { id: prompt, version: "2", variables: { question: "q", count: 1 } }, input: "x" } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming);
    expect(fake.requests.at(-1)!.body.messages[0]).toEqual({ role: "system", content: "Variant B system." });
    fake.setDefault({});
  });

  it("sweeps expired stored responses (a registered settlement step) and never serves them", async () => {
    fake.enqueue({ content: "old" });
    const r = await client.responses.create({ model, input: "old" });
    fake.enqueue({ content: "new" });
    const fresh = await client.responses.create({ model, input: "new" });
    await sql.query(`UPDATE "StoredResponse" SET "expiresAt" = now() - interval '1 second' WHERE id = $1`, [r.id]);
    await expect(client.responses.retrieve(r.id)).rejects.toMatchObject({ status: 404 });
    expect(settlementSteps()).toContain("stored-responses");
    const c = await sql.connect();
    try {
      await sweepStoredResponses(c, []);
    } finally {
      c.release();
    }
    const left = await sql.query<{ id: string }>(`SELECT id FROM "StoredResponse" WHERE id = ANY($1)`, [[r.id, fresh.id]]);
    expect(left.rows.map((x) => x.id)).toEqual([fresh.id]);
  });

  describe("native passthrough to an upstream that serves /v1/responses", () => {
    it("sends the client's body as sent (built-in tools, unknown fields), only model and store changed, and answers with Promptgate's ids", async () => {
      fakeNative.enqueue({ content: "native hello", promptTokens: 11, completionTokens: 3 });
      const r = await client.responses.create({
        model: nativeModel, input: "hi", tools: [{ type: "web_search_preview" }], reasoning: { effort: "low" }, include: ["reasoning.encrypted_content"],
        some_future_field: { kept: true },
      } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming);
      expect(fakeNative.requests).toHaveLength(1);
      const up = fakeNative.requests[0]!;
      expect(up.path).toBe("/v1/responses");
      expect(up.headers.authorization).toBe("Bearer sk-upstream-responses-02");
      expect(up.body).toMatchObject({ model: nativeModel, input: "hi", tools: [{ type: "web_search_preview" }], reasoning: { effort: "low" }, include: ["reasoning.encrypted_content"], some_future_field: { kept: true }, store: false });
      expect(r.id).toMatch(/^resp_[0-9a-f]{32}$/);
      expect(r.output_text).toBe("native hello");
      expect(r.output[0]!.id).toBe(`msg_${r.id.slice(5)}_0`);
      expect((r as unknown as { store: boolean }).store).toBe(true);
      expect(await usageOf(r.id)).toMatchObject({ status: "ok", surface: "responses", inputTokens: 11, outputTokens: 3 });
      expect(fake.requests).toHaveLength(0);
    });

    it("relays the upstream's stream (official SDK: tool calls whole, ids rewritten, sequence numbers kept), stores it and chains it as a whole conversation", async () => {
      fakeNative.enqueue({ content: "Looking.", toolCalls: [{ id: "call_n1", name: "lookup", arguments: '{"q":"promptgate"}' }] });
      const tools: OpenAI.Responses.Tool[] = [{ type: "function", name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } } }, strict: false }];
      const stream = client.responses.stream({ model: nativeModel, input: "Find it", tools });
      const events: Ev[] = [];
      for await (const e of stream) events.push(e as unknown as Ev);
      const final = await stream.finalResponse();
      expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
      expect(events.at(-1)!.type).toBe("response.completed");
      expect(final.id).toMatch(/^resp_[0-9a-f]{32}$/);
      const call = final.output.find((o) => o.type === "function_call");
      expect(call).toMatchObject({ call_id: "call_n1", name: "lookup", arguments: '{"q":"promptgate"}', id: `fc_${final.id.slice(5)}_1` });
      expect(events.filter((e) => "item_id" in e).every((e) => String(e.item_id).includes(final.id.slice(5)))).toBe(true);
      expect(fakeNative.requests[0]!.body.stream).toBe(true);

      expect((await client.responses.retrieve(final.id)).output_text).toBe("Looking.");
      fakeNative.enqueue({ content: "Found." });
      const next = await client.responses.create({ model: nativeModel, tools, previous_response_id: final.id, input: [{ type: "function_call_output", call_id: "call_n1", output: "42" }] });
      expect(next.output_text).toBe("Found.");
      const up = fakeNative.requests[1]!.body;
      expect(up.previous_response_id).toBeUndefined();
      expect(up.input).toEqual([
        { type: "message", role: "user", content: "Find it" },
        { type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text: "Looking.", annotations: [], logprobs: [] }] },
        { type: "function_call", status: "completed", call_id: "call_n1", name: "lookup", arguments: '{"q":"promptgate"}' },
        { type: "function_call_output", call_id: "call_n1", output: "42" },
      ]);
    });

    it("runs the AI SDK's responses model through a native tool round trip (item_reference resolved from the store)", async () => {
      const openai = createOpenAI({ apiKey: key, baseURL: `${app.url}/api/v1` });
      fakeNative.enqueue([{ content: "Checking.", toolCalls: [{ id: "call_r1", name: "weather", arguments: '{"city":"Rome"}' }] }, { content: "Sunny in Rome" }]);
      const result = streamText({
        model: openai.responses(nativeModel),
        prompt: "Weather in Rome?",
        tools: { weather: tool({ inputSchema: z.object({ city: z.string() }), execute: async () => ({ sky: "sunny" }) }) },
        stopWhen: stepCountIs(2),
      });
      expect(await result.text).toBe("Sunny in Rome");
      expect((await result.steps)[0]!.toolCalls.map((c) => c.toolCallId)).toEqual(["call_r1"]);
      const second = fakeNative.requests[1]!.body;
      expect(JSON.stringify(second.input)).toContain("Checking.");
      expect(JSON.stringify(second.input)).not.toContain("item_reference");
      expect(second.store).toBe(false);
    });

    it("passes the client's abort on to a native upstream", async () => {
      fakeNative.enqueue({ completionTokens: 200, chunkDelayMs: 50 });
      const stream = await client.responses.create({ model: nativeModel, input: "long", stream: true });
      let n = 0;
      for await (const e of stream) {
        if (e.type === "response.output_text.delta" && ++n === 2) break;
      }
      const aborted = await fakeNative.waitForAbort(10_000);
      expect(aborted.path).toBe("/v1/responses");
      expect(aborted.chunksSent).toBeLessThan(200);
    });

    it("ends a native stream cut mid-way with response.failed and an error event", async () => {
      fakeNative.enqueue({ content: "one two three four five", resetAfterChunks: 4 });
      const res = await post({ model: nativeModel, input: "count", stream: true });
      const events = await sseEvents(res);
      expect(events.map((e) => e.event).slice(-2)).toEqual(["response.failed", "error"]);
      expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
      expect(events.map((e) => e.event)).not.toContain("response.completed");
    });

    it("refuses a built-in tool with the 400 naming it when no account serving the model speaks Responses", async () => {
      const res = await post({ model, input: "x", tools: [{ type: "web_search_preview" }] });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "unsupported_tool", param: "tools[0].type", message: expect.stringContaining("'web_search_preview'") } });
    });
  });

  it("runs the examples of docs/surfaces/responses.md against the simulator (openai SDK and AI SDK)", async () => {
    const r = await client.responses.create({ model: simModel, instructions: "Be brief.", input: "Say hello" });
    expect(r.status).toBe("completed");
    expect(r.output_text.length).toBeGreaterThan(0);

    const stream = client.responses.stream({ model: simModel, input: "Say hello" });
    let streamed = "";
    stream.on("response.output_text.delta", (e) => (streamed += e.delta));
    const final = await stream.finalResponse();
    expect(streamed).toBe(final.output_text);

    const next = await client.responses.create({ model: simModel, previous_response_id: final.id, input: "And in French?" });
    expect((await client.responses.retrieve(next.id)).id).toBe(next.id);
    await client.responses.delete(next.id);

    const p = await client.responses.create({
      prompt: { id: simPrompt, version: "production", variables: { customer_name: "Ada", question: "Where is my order?" } },
      input: "Please answer in one sentence.",
      user: "user-42",
    }).withResponse();
    expect(p.response.headers.get("x-promptgate-prompt")).toBe(simPrompt);
    expect(p.data.output_text.length).toBeGreaterThan(0);

    const openai = createOpenAI({ apiKey: key, baseURL: `${app.url}/api/v1` });
    const { text } = await generateText({
      model: openai.responses(simModel),
      prompt: "What is the weather in Rome?",
      tools: { weather: tool({ inputSchema: z.object({ city: z.string() }), execute: async ({ city }) => ({ city, sky: "sunny" }) }) },
      stopWhen: stepCountIs(3),
    });
    expect(text.length).toBeGreaterThan(0);
  });

  it("masks a term split across chunks in the streamed Responses events, and a filtered key is always translated (never native)", async () => {
    const masked = new OpenAI({ apiKey: maskedKey, baseURL: `${app.url}/api/v1`, maxRetries: 0 });
    for (const [upstream, m] of [[fake, model], [fakeNative, nativeModel]] as const) {
      upstream.enqueue({ content: "the Project Falcon plan" });
      const stream = masked.responses.stream({ model: m, input: "plan?" });
      let deltas = "";
      stream.on("response.output_text.delta", (e) => (deltas += e.delta));
      const final = await stream.finalResponse();
      expect(final.output_text).toBe(`the ${"*".repeat(14)} plan`);
      expect(deltas).toBe(final.output_text);
      expect(upstream.requests.at(-1)!.path).toBe("/v1/chat/completions");
    }
  });
});
