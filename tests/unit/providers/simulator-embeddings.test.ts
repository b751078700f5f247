// The simulator's embeddings: deterministic, unit-length vectors of the size
// asked for, in OpenAI's response shape, with base64 as OpenAI encodes it.
import { describe, expect, it } from "vitest";
import { adapterFor, countEmbeddingTokens, ProviderError, type CallContext, type EmbeddingRequest, type EmbedResult } from "@/lib/providers";

const simulator = adapterFor("simulator");

function ctx(model: string, settings: Record<string, unknown> = {}, signal = new AbortController().signal): CallContext {
  return {
    account: { id: "acc_sim", name: "Simulator", provider: "simulator", baseUrl: null, apiKey: null, settings: { ttftMs: 0, ...settings }, timeouts: { firstByteMs: 10_000, idleMs: 10_000 } },
    upstreamModel: model,
    signal,
  };
}

function embed(req: Partial<EmbeddingRequest> & { input: EmbeddingRequest["input"] }, model = req.model ?? "text-embedding-3-small", settings = {}): Promise<EmbedResult> {
  return simulator.embed!({ model, ...req }, ctx(model, settings));
}

const norm = (v: number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));
const floats = (e: number[] | string) => e as number[];
/** What the openai SDK does with a base64 embedding. */
const decode = (b64: string) => Array.from(new Float32Array(new Uint8Array(Buffer.from(b64, "base64")).buffer));

describe("simulator embeddings (embeddings #17.3)", () => {
  it("embeddings #17.3: the same input gives the same unit vector; another input or model another one", async () => {
    const a = await embed({ input: "The quick brown fox" });
    const b = await embed({ input: "The quick brown fox" });
    const c = await embed({ input: "The quick brown fox." });
    const d = await embed({ input: "The quick brown fox" }, "text-embedding-3-large");
    const va = floats(a.response.data[0]!.embedding);
    expect(va).toEqual(floats(b.response.data[0]!.embedding));
    expect(va).not.toEqual(floats(c.response.data[0]!.embedding));
    expect(norm(va)).toBeCloseTo(1, 5);
    expect(floats(d.response.data[0]!.embedding).slice(0, 8)).not.toEqual(va.slice(0, 8));
    // Every value is a float32, so the float and base64 encodings carry the very same numbers.
    for (const x of va.slice(0, 64)) expect(Math.fround(x)).toBe(x);
  });

  it("embeddings #17.3: answers in OpenAI's shape with one vector per input, in order, and counts the input tokens", async () => {
    const input = ["first text", "second, longer text here", "first text"];
    const r = await embed({ input });
    expect(r.response).toMatchObject({ object: "list", model: "text-embedding-3-small" });
    expect(r.response.data.map((e) => [e.object, e.index])).toEqual([["embedding", 0], ["embedding", 1], ["embedding", 2]]);
    expect(r.response.data[0]!.embedding).toEqual(r.response.data[2]!.embedding);
    expect(r.response.usage).toEqual({ prompt_tokens: countEmbeddingTokens("text-embedding-3-small", input), total_tokens: countEmbeddingTokens("text-embedding-3-small", input) });
    expect(r.response.usage.prompt_tokens).toBeGreaterThan(5);
    expect(r.usageCounted).toBe(false);
    // Token ids count one token each.
    const t = await embed({ input: [[1, 2, 3], [4, 5]] });
    expect(t.response.usage.prompt_tokens).toBe(5);
    expect(t.response.data).toHaveLength(2);
  });

  it("embeddings #17.3: sizes: 1536 for text-embedding-3-small and unknown models, 3072 for -large, and the requested dimensions", async () => {
    expect(floats((await embed({ input: "x" })).response.data[0]!.embedding)).toHaveLength(1536);
    expect(floats((await embed({ input: "x" }, "text-embedding-3-large")).response.data[0]!.embedding)).toHaveLength(3072);
    expect(floats((await embed({ input: "x" }, "sim-small")).response.data[0]!.embedding)).toHaveLength(1536);
    const short = floats((await embed({ input: "x", dimensions: 256 }, "text-embedding-3-large")).response.data[0]!.embedding);
    expect(short).toHaveLength(256);
    expect(norm(short)).toBeCloseTo(1, 5);
    // Shortened like OpenAI's: the full vector's first values, renormalised.
    const full = floats((await embed({ input: "x" }, "text-embedding-3-large")).response.data[0]!.embedding);
    const head = full.slice(0, 256);
    const scale = norm(head);
    short.forEach((v, i) => expect(v).toBeCloseTo(head[i]! / scale, 5));
  });

  it("embeddings #17.3: refuses more dimensions than the model has, as OpenAI does", async () => {
    await expect(embed({ input: "x", dimensions: 4096 })).rejects.toSatisfy((e) => e instanceof ProviderError && e.status === 400 && /1536/.test(e.message));
  });

  it("embeddings #17.3: base64 is the vector's little-endian float32 bytes", async () => {
    const f = await embed({ input: ["alpha", "beta"], encoding_format: "float", dimensions: 64 });
    const b = await embed({ input: ["alpha", "beta"], encoding_format: "base64", dimensions: 64 });
    for (const i of [0, 1]) {
      const s = b.response.data[i]!.embedding;
      expect(typeof s).toBe("string");
      expect(Buffer.from(s as string, "base64")).toHaveLength(64 * 4);
      expect(decode(s as string)).toEqual(f.response.data[i]!.embedding);
    }
    const first = floats(f.response.data[0]!.embedding)[0]!;
    expect(Buffer.from(b.response.data[0]!.embedding as string, "base64").readFloatLE(0)).toBe(first);
  });

  it("embeddings #17.3: an aborted call rejects with an AbortError", async () => {
    const ac = new AbortController();
    const p = simulator.embed!({ model: "text-embedding-3-small", input: "x" }, ctx("text-embedding-3-small", { ttftMs: 5_000 }, ac.signal));
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: "AbortError" });
  });
});

describe("which adapters embed (embeddings #17.3)", () => {
  it("embeddings #17.3: openai, azure and the simulator embed; anthropic has no embeddings", () => {
    expect(typeof adapterFor("openai").embed).toBe("function");
    expect(typeof adapterFor("azure").embed).toBe("function");
    expect(typeof adapterFor("simulator").embed).toBe("function");
    expect(adapterFor("anthropic").embed).toBeUndefined();
  });
});
