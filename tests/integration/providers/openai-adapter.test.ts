import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ProviderError,
  adapterFor,
  closeUpstreamPools,
  countChatTokens,
  countTokens,
  type CallContext,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type UpstreamAccount,
} from "@/lib/providers";
import { startFakeUpstream, type FakeUpstream } from "@/tests/support/fake-upstream";

const API_KEY = "sk-test-0123456789abcdef";
const openai = adapterFor("openai");
let fake: FakeUpstream;

beforeAll(async () => {
  fake = await startFakeUpstream();
});
afterAll(async () => {
  await closeUpstreamPools({ force: true });
  await fake.close();
});
beforeEach(() => fake.reset());

function account(over: Partial<UpstreamAccount> = {}): UpstreamAccount {
  return {
    id: "acc_1",
    name: "fake openai",
    provider: "openai",
    baseUrl: fake.openaiBaseUrl,
    apiKey: API_KEY,
    settings: {},
    timeouts: { firstByteMs: 2_000, idleMs: 2_000 },
    ...over,
  };
}

function ctx(over: Partial<UpstreamAccount> = {}, signal: AbortSignal = new AbortController().signal): CallContext {
  return { account: account(over), upstreamModel: "gpt-4o-mini", signal };
}

function chat(extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest {
  return { model: "client-alias", messages: [{ role: "user", content: "Say hello" }], ...extra };
}

async function collect(chunks: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const out: ChatCompletionChunk[] = [];
  for await (const c of chunks) out.push(c);
  return out;
}

const text = (chunks: ChatCompletionChunk[]) => chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

async function streamFailure(req: ChatCompletionRequest, c: CallContext): Promise<{ err: ProviderError; received: ChatCompletionChunk[] }> {
  const s = await openai.stream(req, c);
  const received: ChatCompletionChunk[] = [];
  const err = await (async () => {
    for await (const chunk of s.chunks) received.push(chunk);
  })().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return { err: err as ProviderError, received };
}

describe("OpenAI adapter: success", () => {
  it("completes without streaming, with the account's model, key and the upstream's usage", async () => {
    fake.enqueue({ content: "Hello there friend", promptTokens: 11, completionTokens: undefined });
    const r = await openai.complete(chat(), ctx());
    expect(r.completion.choices[0]?.message.content).toBe("Hello there friend");
    expect(r.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 });
    expect(r.usageCounted).toBe(false);
    const sent = fake.requests[0]!;
    expect(sent.path).toBe("/v1/chat/completions");
    expect(sent.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(sent.body.model).toBe("gpt-4o-mini");
    expect(sent.body).not.toHaveProperty("stream_options");
  });

  it("forwards every request field, known or unknown, untouched", async () => {
    const req = chat({
      tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: {} } } }],
      tool_choice: "auto",
      response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } },
      n: 1,
      stop: ["END"],
      seed: 42,
      logprobs: true,
      top_logprobs: 2,
      user: "user-7",
      temperature: 0.2,
      vendor_extension: { nested: [1, 2, 3] },
      messages: [
        { role: "system", content: "Be terse." },
        { role: "user", content: [{ type: "text", text: "Hi" }], name: "alice" },
        { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "lookup", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "c1", content: "result" },
      ],
    });
    await openai.complete(req, ctx());
    const { model: _m, ...expected } = req;
    expect(fake.requests[0]!.body).toEqual({ ...expected, model: "gpt-4o-mini" });
  });

  it("streams chunks and always asks the upstream for usage, keeping the client's other stream_options", async () => {
    fake.enqueue({ completionTokens: 7, promptTokens: 13 });
    const s = await openai.stream(chat({ stream: true, stream_options: { include_usage: false, include_obfuscation: false } }), ctx());
    const chunks = await collect(s.chunks);
    expect(fake.requests[0]!.body.stream).toBe(true);
    expect(fake.requests[0]!.body.stream_options).toEqual({ include_usage: true, include_obfuscation: false });
    expect(text(chunks)).toBe(" tok".repeat(7));
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 13, completion_tokens: 7, total_tokens: 20 });
    expect(s.usageCounted).toBe(false);
    // The upstream's `usage: null` on every chunk is not passed on (cleared to undefined, which JSON drops).
    expect(chunks.slice(0, -1).every((c) => (c as { usage?: unknown }).usage === undefined)).toBe(true);
    expect(chunks.slice(0, -1).map((c) => JSON.stringify(c)).join("")).not.toContain("\"usage\"");
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
  });

  it("adds include_usage even when the client sent no stream_options", async () => {
    const s = await openai.stream(chat(), ctx());
    await collect(s.chunks);
    expect(fake.requests[0]!.body.stream_options).toEqual({ include_usage: true });
  });

  it("passes streamed tool calls through", async () => {
    fake.enqueue({ toolCalls: [{ id: "call_a", name: "lookup", arguments: '{"q":"weather in Paris"}' }] });
    const chunks = await collect((await openai.stream(chat(), ctx())).chunks);
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(deltas[0]).toMatchObject({ index: 0, id: "call_a", function: { name: "lookup" } });
    expect(deltas.map((d) => d.function?.arguments ?? "").join("")).toBe('{"q":"weather in Paris"}');
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("tool_calls");
  });

  it("parses rate-limit headers", async () => {
    fake.enqueue({
      headers: {
        "x-ratelimit-limit-requests": "500",
        "x-ratelimit-remaining-requests": "499",
        "x-ratelimit-limit-tokens": "30000",
        "x-ratelimit-remaining-tokens": "29000",
        "x-ratelimit-reset-requests": "120ms",
        "x-ratelimit-reset-tokens": "1m30s",
      },
    });
    const r = await openai.complete(chat(), ctx());
    expect(r.rateLimit).toEqual({
      limitRequests: 500,
      remainingRequests: 499,
      limitTokens: 30000,
      remainingTokens: 29000,
      resetRequestsMs: 120,
      resetTokensMs: 90_000,
    });
  });

  it("talks to Azure deployments with api-version and the api-key header", async () => {
    const azure = adapterFor("azure");
    const c = ctx({ provider: "azure", baseUrl: `${fake.url}/openai/deployments/my-dep/`, settings: { apiVersion: "2024-06-01" } });
    await azure.complete(chat(), c);
    await collect((await azure.stream(chat(), c)).chunks);
    for (const sent of fake.requests) {
      expect(sent.path).toBe("/openai/deployments/my-dep/chat/completions?api-version=2024-06-01");
      expect(sent.headers["api-key"]).toBe(API_KEY);
      expect(sent.headers.authorization).toBeUndefined();
    }
    expect(fake.requests[1]!.body.stream_options).toEqual({ include_usage: true });
  });

  it("counts usage with the tokenizer when the upstream reports none", async () => {
    const req = chat({ messages: [{ role: "user", content: "Count me in, please." }] });
    fake.enqueue([{ content: "Counted by the gateway itself.", omitUsage: true }, { content: "Counted by the gateway itself.", omitUsage: true }]);
    const expected = {
      prompt_tokens: countChatTokens("gpt-4o-mini", req.messages),
      completion_tokens: countTokens("gpt-4o-mini", "Counted by the gateway itself."),
    };
    const r = await openai.complete(req, ctx());
    expect(r.usageCounted).toBe(true);
    expect(r.usage).toMatchObject(expected);
    const s = await openai.stream(req, ctx());
    const chunks = await collect(s.chunks);
    expect(chunks.at(-1)?.usage).toMatchObject({ ...expected, total_tokens: expected.prompt_tokens + expected.completion_tokens });
    expect(s.usageCounted).toBe(true);
  });

  it("reuses the keep-alive connection after a finished stream, even when the consumer stops at the usage chunk", async () => {
    // Pauses let each response's final bytes arrive: reuse, not ordering, is under test.
    await collect((await openai.stream(chat(), ctx())).chunks);
    await sleep(20);
    const s = await openai.stream(chat(), ctx());
    for await (const c of s.chunks) if (c.usage) break;
    await sleep(20);
    await openai.complete(chat(), ctx());
    const ports = fake.requests.map((r) => r.remotePort);
    expect(new Set(ports).size).toBe(1);
    expect(fake.abortedCount).toBe(0);
  });

  it("handles 200 concurrent streams", async () => {
    fake.setDefault({ completionTokens: 20, chunkDelayMs: 1 });
    const results = await Promise.all(
      Array.from({ length: 200 }, async () => collect((await openai.stream(chat(), ctx())).chunks)),
    );
    for (const chunks of results) expect(chunks.at(-1)?.usage?.completion_tokens).toBe(20);
    expect(fake.requests).toHaveLength(200);
    expect(fake.inFlight).toBe(0);
  });
});

describe("OpenAI adapter: failures become ProviderErrors", () => {
  it("429 with Retry-After is retryable with retryAfterMs, before any chunk", async () => {
    fake.enqueue([{ status: 429, retryAfter: 2 }, { status: 429, retryAfter: 2 }]);
    for (const p of [openai.complete(chat(), ctx()), openai.stream(chat(), ctx())]) {
      const err = await failure(p);
      expect(err).toMatchObject({ status: 429, code: "upstream_http_error", retryable: true, retryAfterMs: 2000 });
      expect(err.upstreamMessage).toBe("Fake upstream error 429");
    }
  });

  it("500 is retryable, 501 is not", async () => {
    fake.enqueue([{ status: 500 }, { status: 501 }]);
    expect(await failure(openai.stream(chat(), ctx()))).toMatchObject({ status: 500, retryable: true });
    expect(await failure(openai.stream(chat(), ctx()))).toMatchObject({ status: 501, retryable: false });
  });

  it("400 is not retryable and carries the upstream message, never our key", async () => {
    fake.enqueue([
      { status: 400, body: { error: { message: "max_tokens is too large", type: "invalid_request_error", code: "context_length_exceeded" } } },
      { status: 401, body: { error: { message: `Incorrect API key provided: ${API_KEY}.`, type: "invalid_request_error" } } },
    ]);
    const bad = await failure(openai.complete(chat(), ctx()));
    expect(bad).toMatchObject({ status: 400, retryable: false, upstreamMessage: "max_tokens is too large", upstreamType: "context_length_exceeded" });
    const auth = await failure(openai.complete(chat(), ctx()));
    expect(auth.status).toBe(401);
    expect(auth.upstreamMessage).toContain("Incorrect API key provided");
    expect(`${auth.message} ${auth.upstreamMessage}`).not.toContain(API_KEY);
  });

  it("headers slower than firstByteMs are a retryable 504 upstream_timeout", async () => {
    fake.enqueue([{ headerDelayMs: 1_000 }, { headerDelayMs: 1_000 }]);
    const c = ctx({ timeouts: { firstByteMs: 100, idleMs: 2_000 } });
    for (const call of [() => openai.stream(chat(), c), () => openai.complete(chat(), c)]) {
      const t0 = performance.now();
      const err = await failure(call());
      expect(err).toMatchObject({ status: 504, code: "upstream_timeout", retryable: true });
      expect(performance.now() - t0).toBeLessThan(600);
    }
  });

  it("a gap between chunks longer than idleMs throws upstream_idle_timeout mid-iteration", async () => {
    fake.enqueue({ completionTokens: 5, chunkDelayMs: 500 });
    const { err, received } = await streamFailure(chat(), ctx({ timeouts: { firstByteMs: 2_000, idleMs: 100 } }));
    expect(received.length).toBeGreaterThanOrEqual(1);
    expect(err).toMatchObject({ status: 504, code: "upstream_idle_timeout" });
  });

  it("a socket reset mid-stream is a retryable connection error", async () => {
    fake.enqueue({ completionTokens: 10, resetAfterChunks: 3 });
    const { err, received } = await streamFailure(chat(), ctx());
    expect(received).toHaveLength(3);
    expect(err).toMatchObject({ status: 502, code: "upstream_connection_error", retryable: true });
  });

  it("a chunk that is not JSON is a non-retryable malformed response", async () => {
    fake.enqueue([{ completionTokens: 10, malformedAfterChunks: 2 }, { malformedAfterChunks: 0 }]);
    const { err, received } = await streamFailure(chat(), ctx());
    expect(received).toHaveLength(2);
    expect(err).toMatchObject({ status: 502, code: "upstream_malformed_response", retryable: false });
    expect(await failure(openai.complete(chat(), ctx()))).toMatchObject({ code: "upstream_malformed_response" });
  });

  it("a stream that ends without [DONE] failed, even after all its content", async () => {
    fake.enqueue({ completionTokens: 4, omitDone: true });
    const { err, received } = await streamFailure(chat(), ctx());
    expect(text(received)).toBe(" tok".repeat(4));
    expect(received.some((c) => c.usage)).toBe(false);
    expect(err).toMatchObject({ code: "upstream_connection_error", retryable: true });
    expect(err.message).toContain("ended early");
  });

  it("an error object inside the stream becomes a ProviderError", async () => {
    fake.enqueue({ completionTokens: 10, streamErrorAfterChunks: 2 });
    const { err } = await streamFailure(chat(), ctx());
    expect(err).toMatchObject({ code: "upstream_stream_error", upstreamType: "server_error" });
  });

  it("a refused connection is a retryable 502 before the stream resolves", async () => {
    const closed = await startFakeUpstream();
    const url = closed.openaiBaseUrl;
    await closed.close();
    const err = await failure(openai.stream(chat(), ctx({ baseUrl: url })));
    expect(err).toMatchObject({ status: 502, code: "upstream_connection_error", retryable: true });
    expect(err.message).not.toContain(API_KEY);
  });

  it("a reset during a non-streamed body is a connection error", async () => {
    fake.enqueue({ resetAfterChunks: 0 });
    expect(await failure(openai.complete(chat(), ctx()))).toMatchObject({ code: "upstream_connection_error" });
  });
});

describe("OpenAI adapter: aborts and backpressure", () => {
  it("a client abort mid-stream rejects with AbortError and closes the upstream request within 100 ms", async () => {
    fake.enqueue({ completionTokens: 100, chunkDelayMs: 20 });
    const controller = new AbortController();
    const s = await openai.stream(chat(), ctx({}, controller.signal));
    const it = s.chunks[Symbol.asyncIterator]();
    await it.next();
    await it.next();
    const pending = it.next();
    const abortedAt = Date.now();
    controller.abort();
    const err = await pending.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).not.toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ name: "AbortError" });
    const rec = await fake.waitForAbort(100);
    expect(rec.abortedAt! - abortedAt).toBeLessThan(100);
  });

  it("a client abort before the headers rejects stream() with AbortError and closes the upstream request", async () => {
    fake.enqueue({ hang: true });
    const controller = new AbortController();
    const pending = openai.stream(chat(), ctx({}, controller.signal));
    await fake.waitForRequests(1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    await fake.waitForAbort(100);
  });

  it("breaking out of the loop early closes the upstream request", async () => {
    fake.enqueue({ completionTokens: 1_000, chunkDelayMs: 5 });
    const s = await openai.stream(chat(), ctx());
    let n = 0;
    for await (const _ of s.chunks) if (++n === 3) break;
    const rec = await fake.waitForAbort(100);
    expect(rec.chunksSent).toBeLessThan(rec.chunksPlanned);
  });

  it("close() before iterating releases the upstream request", async () => {
    fake.enqueue({ completionTokens: 1_000, chunkDelayMs: 5 });
    const s = await openai.stream(chat(), ctx());
    s.close();
    await fake.waitForAbort(100);
  });

  it("reads only as fast as the consumer pulls: a paused consumer stalls the upstream", async () => {
    // ~40 MB of stream if nothing pushed back.
    fake.enqueue({ completionTokens: 200_000 });
    const s = await openai.stream(chat(), ctx());
    const it = s.chunks[Symbol.asyncIterator]();
    await it.next();
    await sleep(300);
    const rec = fake.requests[0]!;
    const sentWhilePaused = rec.chunksSent;
    expect(sentWhilePaused).toBeLessThan(rec.chunksPlanned / 4);
    await sleep(100);
    expect(rec.chunksSent).toBe(sentWhilePaused);
    await it.return?.();
    await fake.waitForAbort(100);
  });
});
