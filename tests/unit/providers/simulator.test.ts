import { describe, expect, it } from "vitest";
import {
  ProviderError,
  SIMULATOR_LABEL,
  adapterFor,
  countChatTokens,
  countTokens,
  type CallContext,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
} from "@/lib/providers";
import { SIMULATOR_VOCABULARY, simulateText } from "@/lib/providers/simulator";

const simulator = adapterFor("simulator");

function ctx(settings: Record<string, unknown> = {}, signal = new AbortController().signal, model = "sim-small"): CallContext {
  return {
    account: {
      id: "acc_sim",
      name: "Simulator",
      provider: "simulator",
      baseUrl: null,
      apiKey: null,
      settings: { ttftMs: 0, tokensPerSecond: 0, ...settings },
      timeouts: { firstByteMs: 10_000, idleMs: 10_000 },
    },
    upstreamModel: model,
    signal,
  };
}

function request(content: string, extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest {
  return { model: "sim-small", messages: [{ role: "user", content }], ...extra };
}

async function collect(chunks: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const out: ChatCompletionChunk[] = [];
  for await (const c of chunks) out.push(c);
  return out;
}

function streamedText(chunks: ChatCompletionChunk[]): string {
  return chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
}

describe("simulator", () => {
  it("is labelled so nobody mistakes it for a model", () => {
    expect(SIMULATOR_LABEL).toBe("Simulator (no real model)");
  });

  it("answers the same request with the same text, and different requests differently", async () => {
    const a1 = await simulator.complete(request("Tell me about rivers"), ctx());
    const a2 = await simulator.complete(request("Tell me about rivers"), ctx());
    const b = await simulator.complete(request("Tell me about mountains"), ctx());
    const seeded = await simulator.complete(request("Tell me about rivers", { seed: 7 }), ctx());
    const text = (r: typeof a1) => r.completion.choices[0]?.message.content;
    expect(text(a1)).toBe(text(a2));
    expect(text(a1)).not.toBe(text(b));
    expect(text(a1)).not.toBe(text(seeded));
    expect(text(a1)).toMatch(/^[A-Z][a-z]+( [A-Za-z]+|,|\.)+$/);
  });

  it("works for any model name", async () => {
    for (const model of ["sim-small", "sim-large", "whatever/you-like", "gpt-4o"]) {
      const r = await simulator.complete(request("hi", { model }), ctx({}, undefined, model));
      expect(r.completion.choices[0]?.message.content?.length).toBeGreaterThan(0);
      expect(r.completion.model).toBe(model);
    }
  });

  it("produces 24 to 160 tokens of full sentences, and usage equals the tokenizer's count of that text", async () => {
    for (const model of ["sim-small", "gpt-4o"]) {
      const lengths = new Set<number>();
      for (let seed = 0; seed < 60; seed++) {
        const req = request("Describe the gateway", { seed });
        const r = await simulator.complete(req, ctx({}, undefined, model));
        const text = r.completion.choices[0]?.message.content ?? "";
        expect(r.usage.completion_tokens).toBe(countTokens(model, text));
        expect(r.usage.completion_tokens).toBe(simulateText(req, model).pieces.length);
        expect(r.usage.prompt_tokens).toBe(countChatTokens(model, req.messages));
        expect(r.usage.total_tokens).toBe(r.usage.prompt_tokens + r.usage.completion_tokens);
        expect(r.usage.completion_tokens).toBeGreaterThanOrEqual(24);
        expect(r.usage.completion_tokens).toBeLessThanOrEqual(160);
        expect(text.endsWith(".")).toBe(true);
        expect(r.completion.choices[0]?.finish_reason).toBe("stop");
        expect(r.usageCounted).toBe(false);
        lengths.add(r.usage.completion_tokens);
      }
      expect(lengths.size).toBeGreaterThan(20);
    }
  });

  it("only uses words that are exactly one token in both encodings", () => {
    for (const word of SIMULATOR_VOCABULARY) {
      const capital = word[0]!.toUpperCase() + word.slice(1);
      for (const form of [` ${word}`, capital, ` ${capital}`]) {
        expect(countTokens("gpt-4", form), form).toBe(1);
        expect(countTokens("gpt-4o", form), form).toBe(1);
      }
    }
  });

  it("caps the answer at max_tokens (or max_completion_tokens) with finish_reason length", async () => {
    const full = await simulator.complete(request("cap me"), ctx());
    const capped = await simulator.complete(request("cap me", { max_tokens: 7 }), ctx());
    const cappedNew = await simulator.complete(request("cap me", { max_completion_tokens: 5 }), ctx());
    expect(capped.usage.completion_tokens).toBe(7);
    expect(cappedNew.usage.completion_tokens).toBe(5);
    expect(capped.completion.choices[0]?.finish_reason).toBe("length");
    expect(full.completion.choices[0]?.message.content?.startsWith(capped.completion.choices[0]?.message.content ?? "!")).toBe(true);
  });

  it("streams the same text token by token and ends with a usage chunk", async () => {
    const req = request("stream please", { seed: 3 });
    const whole = await simulator.complete(req, ctx());
    const s = await simulator.stream(req, ctx());
    const chunks = await collect(s.chunks);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual(whole.usage);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    expect(streamedText(chunks)).toBe(whole.completion.choices[0]?.message.content);
    // role chunk + one chunk per token + finish chunk + usage chunk
    expect(chunks.length).toBe(whole.usage.completion_tokens + 3);
    expect(s.usageCounted).toBe(false);
  });

  it("paces the stream with ttftMs and tokensPerSecond using timers", async () => {
    const started = performance.now();
    const s = await simulator.stream(request("pace", { max_tokens: 10 }), ctx({ ttftMs: 80, tokensPerSecond: 100 }));
    expect(performance.now() - started).toBeLessThan(20);
    let firstAt = 0;
    for await (const c of s.chunks) {
      if (!firstAt && c.choices[0]?.delta.role) firstAt = performance.now() - started;
    }
    const total = performance.now() - started;
    expect(firstAt).toBeGreaterThanOrEqual(75);
    // 9 intervals of 10 ms after the first token.
    expect(total).toBeGreaterThanOrEqual(160);
    expect(total).toBeLessThan(1000);
  });

  it("stops promptly when the caller aborts, mid-stream or mid-completion", async () => {
    const controller = new AbortController();
    const s = await simulator.stream(request("abort me"), ctx({ ttftMs: 0, tokensPerSecond: 20 }, controller.signal));
    const it = s.chunks[Symbol.asyncIterator]();
    await it.next();
    await it.next();
    const pending = it.next();
    const abortedAt = performance.now();
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(performance.now() - abortedAt).toBeLessThan(30);

    const c2 = new AbortController();
    const completing = simulator.complete(request("slow"), ctx({ ttftMs: 5_000 }, c2.signal));
    setTimeout(() => c2.abort(), 10);
    const t0 = performance.now();
    await expect(completing).rejects.toMatchObject({ name: "AbortError" });
    expect(performance.now() - t0).toBeLessThan(200);
  });

  it("close() cuts a pending wait short", async () => {
    const s = await simulator.stream(request("close me"), ctx({ ttftMs: 5_000 }));
    const it = s.chunks[Symbol.asyncIterator]();
    const pending = it.next();
    const t0 = performance.now();
    s.close();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(performance.now() - t0).toBeLessThan(50);
  });

  it("refuses n > 1 with a non-retryable 400", async () => {
    const err = await simulator.complete(request("two", { n: 2 }), ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ status: 400, retryable: false });
  });
});
