import "server-only";
import { setTimeout as sleep } from "node:timers/promises";
import { abortError, invalidRequest } from "./errors.ts";
import { releasingStream } from "./releasing.ts";
import { SIMULATOR_LABEL } from "./schemas.ts";
import { countChatTokens, countEmbeddingTokens, countTokens } from "./tokenizer.ts";
import { usageChunk } from "./usage.ts";
import type {
  CallContext,
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  CompleteResult,
  EmbeddingRequest,
  EmbedResult,
  FinishReason,
  ProviderAdapter,
  UpstreamStream,
  Usage,
} from "./types.ts";

export { SIMULATOR_LABEL };

// A built-in upstream with no network and no model: it makes the gateway,
// quotas, experiments and dashboards demonstrable (and load-testable) without
// a provider account. Output is deterministic for a given request, so tests
// and screenshots are reproducible, and paced like a real model.

const DEFAULT_TTFT_MS = 150;
const DEFAULT_TOKENS_PER_SECOND = 60;
const MIN_TOKENS = 24;
const MAX_TOKENS = 160;

// Every word below is exactly one token, with a leading space and when
// capitalised, in both cl100k_base and o200k_base (checked by the unit tests),
// as are "." and ",". So a sentence's token count is known by construction and
// the text can end on a full stop at exactly the chosen length.
const DETERMINERS = ["the", "this", "that", "every", "each", "our", "your", "one", "its", "their"];
const ADJECTIVES = [
  "simple", "clear", "small", "large", "fast", "slow", "quiet", "bright", "early", "late", "good", "new", "old",
  "first", "last", "next", "other", "same", "different", "quick", "light", "heavy", "open", "plain", "warm", "cold",
];
const NOUNS = [
  "model", "system", "request", "response", "gateway", "token", "stream", "answer", "question", "river", "mountain",
  "city", "window", "table", "paper", "letter", "story", "plan", "reason", "result", "value", "number", "day", "week",
  "year", "morning", "night", "world", "team", "user", "service", "server", "client", "account", "prompt", "version",
  "label", "experiment", "variant", "phase", "report", "chart", "line", "page", "book", "song", "road", "bridge",
  "house", "door", "field", "forest", "ocean", "cloud", "rain", "wind", "sun", "moon", "star", "fire", "stone",
  "water", "tree", "bird", "fish", "dog", "cat", "friend", "family", "child", "teacher", "student", "worker",
  "leader", "builder", "writer", "reader", "player",
];
const VERBS = ["makes", "shows", "moves", "runs", "writes", "changes", "returns", "handles", "checks", "tests", "looks", "works", "sounds"];
const ADVERBS = ["again", "often", "always", "sometimes", "still", "here", "there", "now", "early", "late"];
const PREPOSITIONS = ["with", "from", "into", "over", "under", "about", "around", "through", "between", "across", "near", "after", "before"];
const CONJUNCTIONS = ["and", "but", "so", "then", "because", "while", "when"];
const PRONOUNS = ["this", "that"];

type Slot = "det" | "adj" | "noun" | "verb" | "adv" | "prep" | "conj" | "pron" | ",";
const WORDS: Record<Exclude<Slot, ",">, string[]> = {
  det: DETERMINERS,
  adj: ADJECTIVES,
  noun: NOUNS,
  verb: VERBS,
  adv: ADVERBS,
  prep: PREPOSITIONS,
  conj: CONJUNCTIONS,
  pron: PRONOUNS,
};

// Sentence shapes by token count, the full stop included.
const SHAPES: Record<number, Slot[]> = {
  3: ["pron", "verb"],
  4: ["det", "noun", "verb"],
  5: ["det", "adj", "noun", "verb"],
  6: ["det", "adj", "noun", "verb", "adv"],
  9: ["det", "adj", "noun", "verb", "adv", "prep", "det", "noun"],
  13: ["det", "adj", "noun", "verb", "prep", "det", "noun", ",", "conj", "det", "noun", "verb"],
};
const FREE_LENGTHS = [5, 6, 9, 9, 13, 13];

/** Exposed for tests: every word the simulator can emit. */
export const SIMULATOR_VOCABULARY: readonly string[] = [...new Set(Object.values(WORDS).flat())];

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** Splits a token budget into sentence lengths, all from SHAPES. */
function sentenceLengths(total: number, random: () => number): number[] {
  const lengths: number[] = [];
  let left = total;
  while (left > 16) {
    const len = FREE_LENGTHS[Math.floor(random() * FREE_LENGTHS.length)] ?? 5;
    lengths.push(len);
    left -= len;
  }
  while (left > 0) {
    const len = SHAPES[left] ? left : 4;
    lengths.push(len);
    left -= len;
  }
  return lengths;
}

/** One sentence of the simulator's prose, for a string in a structured answer. */
function sentence(random: () => number): string {
  const shape = SHAPES[6]!;
  return shape.map((slot, i) => {
    const list = WORDS[slot as Exclude<Slot, ",">];
    const word = list[Math.floor(random() * list.length)] ?? "the";
    return i === 0 ? capitalise(word) : word;
  }).join(" ") + ".";
}

type JsonSchema = { type?: string | string[]; properties?: Record<string, JsonSchema>; items?: JsonSchema; enum?: unknown[]; minimum?: number; maximum?: number };

/** A value of the schema's shape: numbers are whole numbers from 1 to 5 (a judge's usual scale), within any bounds. */
function valueOf(schema: JsonSchema | undefined, random: () => number, depth = 0): unknown {
  if (!schema || depth > 8) return null;
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[Math.floor(random() * schema.enum.length)];
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type ?? (schema.properties ? "object" : undefined);
  switch (type) {
    case "object":
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, valueOf(v, random, depth + 1)]));
    case "array":
      return [valueOf(schema.items, random, depth + 1)];
    case "integer":
    case "number": {
      const lo = Math.ceil(schema.minimum ?? 1);
      const hi = Math.max(lo, Math.floor(schema.maximum ?? Math.max(lo, 5)));
      return lo + Math.floor(random() * (hi - lo + 1));
    }
    case "boolean":
      return random() < 0.5;
    case "string":
      return sentence(random);
    default:
      return null;
  }
}

/**
 * Structured output: with `response_format` json_schema the answer is a JSON value of the schema's shape
 * (json_object: `{"answer": "…"}`), deterministic like the prose, so an LLM judge can run on the simulator.
 */
function structuredAnswer(format: ChatCompletionRequest["response_format"], random: () => number): string | null {
  if (!format || typeof format !== "object") return null;
  if (format.type === "json_object") return JSON.stringify({ answer: sentence(random) });
  if (format.type !== "json_schema") return null;
  const schema = (format as { json_schema?: { schema?: JsonSchema } }).json_schema?.schema;
  return JSON.stringify(valueOf(schema ?? { type: "object" }, random));
}

export type SimulatedText = {
  /** One entry per token, in order; joined they are the text. */
  pieces: string[];
  finishReason: FinishReason;
};

/**
 * The simulator's answer: seeded by the model name, the messages and `seed`,
 * 24 to 160 tokens of full sentences, cut to max_tokens (a cut answer is a
 * prefix of the uncut one and finishes with "length").
 */
export function simulateText(req: ChatCompletionRequest, model: string): SimulatedText {
  const random = mulberry32(fnv1a(JSON.stringify([model, req.messages, req.seed ?? null])));
  const structured = structuredAnswer(req.response_format, random);
  if (structured !== null) return { pieces: structured.split(/(?= )/), finishReason: "stop" };
  const natural = MIN_TOKENS + Math.floor(random() * (MAX_TOKENS - MIN_TOKENS + 1));
  const pieces: string[] = [];
  for (const length of sentenceLengths(natural, random)) {
    const shape = SHAPES[length] ?? [];
    shape.forEach((slot, i) => {
      if (slot === ",") {
        pieces.push(",");
        return;
      }
      const list = WORDS[slot];
      const word = list[Math.floor(random() * list.length)] ?? "the";
      const text = i === 0 ? capitalise(word) : word;
      pieces.push(pieces.length === 0 ? text : ` ${text}`);
    });
    pieces.push(".");
  }
  const limit = req.max_completion_tokens ?? req.max_tokens;
  if (typeof limit === "number" && limit >= 0 && limit < pieces.length) {
    return { pieces: pieces.slice(0, limit), finishReason: "length" };
  }
  return { pieces, finishReason: "stop" };
}

function setting(ctx: CallContext, key: string, fallback: number): number {
  const value = ctx.account.settings[key];
  return typeof value === "number" && value >= 0 ? value : fallback;
}

type Pacing = { ttftMs: number; intervalMs: number };

function pacing(ctx: CallContext): Pacing {
  const tps = setting(ctx, "tokensPerSecond", DEFAULT_TOKENS_PER_SECOND);
  return {
    ttftMs: Math.min(setting(ctx, "ttftMs", DEFAULT_TTFT_MS), 600_000),
    intervalMs: tps === 0 || !Number.isFinite(tps) ? 0 : 1000 / tps,
  };
}

async function waitUntil(dueAt: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw abortError(signal);
  const ms = dueAt - performance.now();
  if (ms < 1) return;
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throw abortError(signal);
  }
}

function validate(req: ChatCompletionRequest, ctx: CallContext): void {
  if (ctx.signal.aborted) throw abortError(ctx.signal);
  if (req.n != null && req.n !== 1) throw invalidRequest("simulator", "The simulator supports only n = 1");
  if (!Array.isArray(req.messages)) throw invalidRequest("simulator", "messages must be an array");
}

function usageFor(req: ChatCompletionRequest, model: string, text: string): Usage {
  const prompt = countChatTokens(model, req.messages, req.tools);
  const completion = countTokens(model, text);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

const FINGERPRINT = "fp_simulator";

function completionId(): string {
  return `chatcmpl-sim-${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
}

async function complete(req: ChatCompletionRequest, ctx: CallContext): Promise<CompleteResult> {
  validate(req, ctx);
  const started = performance.now();
  const model = ctx.upstreamModel;
  const { pieces, finishReason } = simulateText(req, model);
  const { ttftMs, intervalMs } = pacing(ctx);
  // A non-streamed answer arrives when the last token would have.
  await waitUntil(started + ttftMs + Math.max(0, pieces.length - 1) * intervalMs, ctx.signal);
  const text = pieces.join("");
  const usage = usageFor(req, model, text);
  const completion: ChatCompletion = {
    id: completionId(),
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: FINGERPRINT,
    choices: [
      { index: 0, message: { role: "assistant", content: text, refusal: null }, finish_reason: finishReason, logprobs: null },
    ],
    usage,
  };
  // The simulator is the upstream here: its count is the authoritative one.
  return { completion, usage, usageCounted: false, rateLimit: {} };
}

async function stream(req: ChatCompletionRequest, ctx: CallContext): Promise<UpstreamStream> {
  validate(req, ctx);
  const started = performance.now();
  const model = ctx.upstreamModel;
  const { pieces, finishReason } = simulateText(req, model);
  const { ttftMs, intervalMs } = pacing(ctx);
  const base = { id: completionId(), object: "chat.completion.chunk" as const, created: Math.floor(Date.now() / 1000), model, system_fingerprint: FINGERPRINT };
  const chunk = (delta: ChatCompletionChunk["choices"][number]["delta"], finish: FinishReason | null = null): ChatCompletionChunk => ({
    ...base,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  });

  // Our own controller so that close() or an early return() also cuts a
  // pending wait short, not only the caller's signal.
  const stop = new AbortController();
  const forwardAbort = () => stop.abort(ctx.signal.reason);
  ctx.signal.addEventListener("abort", forwardAbort, { once: true });

  async function* generate(): AsyncGenerator<ChatCompletionChunk, void, undefined> {
    try {
      // Token i is due at ttft + i * interval from the start; a slow consumer
      // gets the overdue tokens at once rather than the delays stacking up.
      await waitUntil(started + ttftMs, stop.signal);
      yield chunk({ role: "assistant", content: "" });
      for (let i = 0; i < pieces.length; i++) {
        await waitUntil(started + ttftMs + i * intervalMs, stop.signal);
        yield chunk({ content: pieces[i] });
      }
      if (stop.signal.aborted) throw abortError(stop.signal);
      yield chunk({}, finishReason);
      yield usageChunk(base, model, usageFor(req, model, pieces.join("")));
    } finally {
      ctx.signal.removeEventListener("abort", forwardAbort);
    }
  }

  const release = () => {
    stop.abort();
    ctx.signal.removeEventListener("abort", forwardAbort);
  };
  return releasingStream(generate(), release, { rateLimit: {}, usageCounted: () => false });
}

// ---- Embeddings -------------------------------------------------------------
// One vector per input, seeded by (model, input): the same text always gets the
// same vector, so a demo's similarity search is reproducible. The values are
// standard normal draws scaled to unit length, rounded to float32 (the float
// and base64 encodings carry the same numbers). A shorter `dimensions` is the
// full vector's first values renormalised, which is how OpenAI shortens its
// text-embedding-3 vectors.

const EMBEDDING_SIZES: Record<string, number> = { "text-embedding-3-large": 3072, "text-embedding-3-small": 1536, "text-embedding-ada-002": 1536 };
const DEFAULT_EMBEDDING_SIZE = 1536;
/** The most an unknown model may be asked for: 2,048 inputs of this size are ~100 MB of JSON already. */
const MAX_EMBEDDING_SIZE = 4096;

function embeddingSize(model: string): { natural: number; max: number } {
  const known = EMBEDDING_SIZES[model.toLowerCase().split("/").pop() ?? ""];
  return known ? { natural: known, max: known } : { natural: DEFAULT_EMBEDDING_SIZE, max: MAX_EMBEDDING_SIZE };
}

/** The inputs one by one: a flat array of token ids is a single input. */
function inputsOf(input: EmbeddingRequest["input"]): (string | number[])[] {
  if (typeof input === "string") return [input];
  if (input.length > 0 && typeof input[0] === "number") return [input as number[]];
  return input as (string | number[])[];
}

/** A unit vector of `size` float32 values, seeded by the model and the input. */
export function simulatedEmbedding(model: string, input: string | number[], size: number): Float32Array {
  const random = mulberry32(fnv1a(JSON.stringify([model, input])));
  const v = new Float64Array(size);
  let sum = 0;
  for (let i = 0; i < size; i++) {
    // Box-Muller: 1 - random() is in (0, 1], so the logarithm is finite.
    const g = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    v[i] = g;
    sum += g * g;
  }
  const scale = sum > 0 ? 1 / Math.sqrt(sum) : 0;
  return Float32Array.from(v, (x) => x * scale);
}

/** OpenAI's base64 encoding: the float32 values as little-endian bytes. */
function base64Of(v: Float32Array): string {
  const buf = Buffer.allocUnsafe(v.length * 4);
  for (let i = 0; i < v.length; i++) buf.writeFloatLE(v[i]!, i * 4);
  return buf.toString("base64");
}

async function embed(req: EmbeddingRequest, ctx: CallContext): Promise<EmbedResult> {
  if (ctx.signal.aborted) throw abortError(ctx.signal);
  const started = performance.now();
  const model = ctx.upstreamModel;
  const { natural, max } = embeddingSize(model);
  const size = req.dimensions ?? natural;
  if (size > max) throw invalidRequest("simulator", `The simulator's ${model} has at most ${max} dimensions; dimensions was ${size}`);
  // Answers after the account's time to first token, like a non-streamed completion.
  await waitUntil(started + pacing(ctx).ttftMs, ctx.signal);
  const base64 = req.encoding_format === "base64";
  const data = inputsOf(req.input).map((item, index) => {
    const v = simulatedEmbedding(model, item, size);
    return { object: "embedding" as const, index, embedding: base64 ? base64Of(v) : Array.from(v) };
  });
  const tokens = countEmbeddingTokens(model, req.input);
  return { response: { object: "list", data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } }, usageCounted: false, rateLimit: {} };
}

export const simulatorAdapter: ProviderAdapter = { kind: "simulator", complete, stream, embed };
