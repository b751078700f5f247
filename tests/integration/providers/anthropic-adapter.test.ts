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

const API_KEY = "sk-ant-test-0123456789abcdef";
const anthropic = adapterFor("anthropic");
let fake: FakeUpstream;

beforeAll(async () => {
  fake = await startFakeUpstream();
});
afterAll(async () => {
  await closeUpstreamPools({ force: true });
  await fake.close();
});
beforeEach(() => fake.reset());

function ctx(over: Partial<UpstreamAccount> = {}, signal: AbortSignal = new AbortController().signal): CallContext {
  return {
    account: {
      id: "acc_a",
      name: "fake anthropic",
      provider: "anthropic",
      baseUrl: fake.url,
      apiKey: API_KEY,
      settings: {},
      timeouts: { firstByteMs: 2_000, idleMs: 2_000 },
      ...over,
    },
    upstreamModel: "claude-3-5-haiku-latest",
    signal,
  };
}

function chat(extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest {
  return {
    model: "claude",
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Say hello" },
    ],
    ...extra,
  };
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

async function streamFailure(c: CallContext = ctx()): Promise<{ err: ProviderError; received: ChatCompletionChunk[] }> {
  const s = await anthropic.stream(chat(), c);
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

describe("Anthropic adapter", () => {
  it("sends a Messages request with x-api-key and anthropic-version, and maps the answer and usage", async () => {
    fake.enqueue({ content: "Hello from Claude", promptTokens: 20, cachedTokens: 5, completionTokens: undefined });
    const r = await anthropic.complete(chat({ max_tokens: 64, stop: "END" }), ctx());
    const sent = fake.requests[0]!;
    expect(sent.path).toBe("/v1/messages");
    expect(sent.headers["x-api-key"]).toBe(API_KEY);
    expect(sent.headers["anthropic-version"]).toBe("2023-06-01");
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toEqual({
      model: "claude-3-5-haiku-latest",
      system: "Be brief.",
      messages: [{ role: "user", content: [{ type: "text", text: "Say hello" }] }],
      max_tokens: 64,
      stop_sequences: ["END"],
    });
    expect(r.completion.choices[0]).toMatchObject({ message: { role: "assistant", content: "Hello from Claude" }, finish_reason: "stop" });
    expect(r.usage).toEqual({
      prompt_tokens: 25,
      completion_tokens: 3,
      total_tokens: 28,
      prompt_tokens_details: { cached_tokens: 5 },
    });
    expect(r.usageCounted).toBe(false);
  });

  it("honours anthropicVersion, anthropicBeta and a base URL given with /v1", async () => {
    await anthropic.complete(
      chat(),
      ctx({ baseUrl: `${fake.url}/v1/`, settings: { anthropicVersion: "2099-01-01", anthropicBeta: "prompt-caching-2024-07-31" } }),
    );
    const sent = fake.requests[0]!;
    expect(sent.path).toBe("/v1/messages");
    expect(sent.headers["anthropic-version"]).toBe("2099-01-01");
    expect(sent.headers["anthropic-beta"]).toBe("prompt-caching-2024-07-31");
  });

  it("streams text as OpenAI chunks, then a finish chunk, then the upstream's usage", async () => {
    fake.enqueue({ completionTokens: 6, promptTokens: 9 });
    const s = await anthropic.stream(chat(), ctx());
    const chunks = await collect(s.chunks);
    expect(fake.requests[0]!.body.stream).toBe(true);
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: "assistant", content: "" });
    expect(text(chunks)).toBe(" tok".repeat(6));
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 6, total_tokens: 15 } });
    const id = chunks[0]!.id;
    expect(id).toMatch(/^msg_fake_/);
    expect(chunks.every((c) => c.id === id && c.object === "chat.completion.chunk")).toBe(true);
    expect(s.usageCounted).toBe(false);
  });

  it("streams tool calls with ids, names, argument deltas and finish_reason tool_calls", async () => {
    fake.enqueue({
      content: "Checking",
      toolCalls: [
        { id: "toolu_1", name: "get_weather", arguments: '{"city":"Paris"}' },
        { id: "toolu_2", name: "get_time", arguments: '{"tz":"CET"}' },
      ],
    });
    const chunks = await collect((await anthropic.stream(chat(), ctx())).chunks);
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(deltas.filter((d) => d.id)).toEqual([
      { index: 0, id: "toolu_1", type: "function", function: { name: "get_weather", arguments: "" } },
      { index: 1, id: "toolu_2", type: "function", function: { name: "get_time", arguments: "" } },
    ]);
    const args = (i: number) => deltas.filter((d) => d.index === i).map((d) => d.function?.arguments ?? "").join("");
    expect(args(0)).toBe('{"city":"Paris"}');
    expect(args(1)).toBe('{"tz":"CET"}');
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("tool_calls");
  });

  it("returns tool calls from a non-streamed answer with JSON-string arguments", async () => {
    fake.enqueue({ toolCalls: [{ id: "toolu_9", name: "lookup", arguments: '{"q":"x"}' }] });
    const r = await anthropic.complete(chat(), ctx());
    expect(r.completion.choices[0]).toMatchObject({
      finish_reason: "tool_calls",
      message: { content: null, tool_calls: [{ id: "toolu_9", type: "function", function: { name: "lookup", arguments: '{"q":"x"}' } }] },
    });
  });

  it("counts usage itself when the upstream reports none", async () => {
    fake.enqueue([{ content: "Counted here", omitUsage: true }, { content: "Counted here", omitUsage: true }]);
    const req = chat();
    const expected = {
      prompt_tokens: countChatTokens("claude-3-5-haiku-latest", req.messages),
      completion_tokens: countTokens("claude-3-5-haiku-latest", "Counted here"),
    };
    const r = await anthropic.complete(req, ctx());
    expect(r.usageCounted).toBe(true);
    expect(r.usage).toMatchObject(expected);
    const s = await anthropic.stream(req, ctx());
    const chunks = await collect(s.chunks);
    expect(chunks.at(-1)?.usage).toMatchObject(expected);
    expect(s.usageCounted).toBe(true);
  });

  it("maps HTTP errors: 429 with Retry-After, 529 overloaded, 400 with the upstream message", async () => {
    fake.enqueue([
      { status: 429, retryAfter: 2 },
      { status: 529 },
      { status: 400, body: { type: "error", error: { type: "invalid_request_error", message: "max_tokens: must be positive" } } },
    ]);
    expect(await failure(anthropic.stream(chat(), ctx()))).toMatchObject({
      status: 429,
      retryable: true,
      retryAfterMs: 2000,
      upstreamType: "rate_limit_error",
    });
    expect(await failure(anthropic.stream(chat(), ctx()))).toMatchObject({ status: 529, retryable: true, upstreamType: "overloaded_error" });
    expect(await failure(anthropic.complete(chat(), ctx()))).toMatchObject({
      status: 400,
      retryable: false,
      upstreamMessage: "max_tokens: must be positive",
    });
  });

  it("an overloaded_error event mid-stream is a retryable 529", async () => {
    fake.enqueue({ completionTokens: 10, streamErrorAfterChunks: 4 });
    const { err, received } = await streamFailure();
    expect(received.length).toBeGreaterThan(0);
    expect(err).toMatchObject({ status: 529, code: "upstream_stream_error", retryable: true });
  });

  it("a stream without message_stop ended early; a broken event is malformed; a reset is a connection error", async () => {
    fake.enqueue({ completionTokens: 3, omitDone: true });
    const early = await streamFailure();
    expect(text(early.received)).toBe(" tok".repeat(3));
    expect(early.err).toMatchObject({ code: "upstream_connection_error", retryable: true });

    fake.enqueue({ completionTokens: 10, malformedAfterChunks: 3 });
    expect((await streamFailure()).err).toMatchObject({ code: "upstream_malformed_response", retryable: false });

    fake.enqueue({ completionTokens: 10, resetAfterChunks: 4 });
    expect((await streamFailure()).err).toMatchObject({ code: "upstream_connection_error", retryable: true });
  });

  it("times out slow headers and idle streams", async () => {
    fake.enqueue([{ headerDelayMs: 1_000 }, { completionTokens: 5, chunkDelayMs: 500 }]);
    const c = ctx({ timeouts: { firstByteMs: 100, idleMs: 100 } });
    expect(await failure(anthropic.stream(chat(), c))).toMatchObject({ status: 504, code: "upstream_timeout", retryable: true });
    expect((await streamFailure(c)).err).toMatchObject({ status: 504, code: "upstream_idle_timeout" });
  });

  it("a client abort mid-stream rejects with AbortError and closes the upstream request within 100 ms", async () => {
    fake.enqueue({ completionTokens: 100, chunkDelayMs: 20 });
    const controller = new AbortController();
    const s = await anthropic.stream(chat(), ctx({}, controller.signal));
    const it = s.chunks[Symbol.asyncIterator]();
    await it.next();
    await it.next();
    const pending = it.next();
    const abortedAt = Date.now();
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    const rec = await fake.waitForAbort(100);
    expect(rec.abortedAt! - abortedAt).toBeLessThan(100);
  });

  it("breaking out of the loop early closes the upstream request", async () => {
    fake.enqueue({ completionTokens: 1_000, chunkDelayMs: 5 });
    const s = await anthropic.stream(chat(), ctx());
    let n = 0;
    for await (const _ of s.chunks) if (++n === 3) break;
    const rec = await fake.waitForAbort(100);
    expect(rec.chunksSent).toBeLessThan(rec.chunksPlanned);
  });
});
