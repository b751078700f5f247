import "server-only";
import { Tiktoken } from "js-tiktoken/lite";
import cl100kBase from "js-tiktoken/ranks/cl100k_base";
import o200kBase from "js-tiktoken/ranks/o200k_base";
import type { ChatMessage, ChatTool, Usage } from "./types.ts";

// The lite entry point plus two rank tables keeps the other encodings (gpt2,
// p50k, r50k) out of the bundle. Importing the rank strings is cheap (~20 ms);
// building an encoder from them is not (~250 ms for cl100k, ~700 ms for
// o200k), so each encoder is built on first use and then kept.

export type EncodingName = "cl100k_base" | "o200k_base";

const ranks = { cl100k_base: cl100kBase, o200k_base: o200kBase } as const;
const encoders = new Map<EncodingName, Tiktoken>();

function encoder(name: EncodingName): Tiktoken {
  let enc = encoders.get(name);
  if (!enc) {
    enc = new Tiktoken(ranks[name]);
    encoders.set(name, enc);
  }
  return enc;
}

const O200K_FAMILY = /^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|o1|o3|o4)(\b|-|$)/;

/**
 * o200k_base for OpenAI's 4o / 4.1 / 4.5 / 5 / o-series families, cl100k_base
 * for gpt-4, gpt-3.5 and embeddings. Other vendors' models (claude, llama,
 * mistral, simulator names...) use tokenizers we do not ship, so they fall back
 * to cl100k_base: close enough for quota estimates, never exact billing.
 * Provider prefixes ("openai/gpt-4o") and Azure-style names are tolerated.
 */
export function encodingForModel(model: string): EncodingName {
  const name = model.toLowerCase().split("/").pop() ?? "";
  return O200K_FAMILY.test(name) ? "o200k_base" : "cl100k_base";
}

/** Builds the encoder(s) ahead of the first request, e.g. at server start. */
export function warmTokenizer(models: string[] = ["gpt-4o", "gpt-4"]): void {
  for (const m of models) encoder(encodingForModel(m));
}

export function countTokens(model: string, text: string): number {
  if (!text) return 0;
  // Special-token text in user content ("<|endoftext|>") is ordinary text to us.
  return encoder(encodingForModel(model)).encode(text, "all").length;
}

// Per OpenAI's cookbook ("How to count tokens with tiktoken"): every message
// costs 3 tokens of framing, a name 1 more, and every reply is primed with 3.
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING = 3;
// A low-detail image costs 85 tokens; the true cost of high detail depends on
// pixel size we do not decode, so this is a floor, not an exact count.
const IMAGE_TOKENS = 85;

function contentText(content: ChatMessage["content"]): { text: string; images: number } {
  if (typeof content === "string") return { text: content, images: 0 };
  if (!Array.isArray(content)) return { text: "", images: 0 };
  let text = "";
  let images = 0;
  for (const part of content) {
    if (part.type === "text") text += part.text;
    else if (part.type === "refusal") text += part.refusal;
    else if (part.type === "image_url") images += 1;
  }
  return { text, images };
}

/**
 * Prompt tokens for a chat request, following the cookbook's formulas for
 * messages and for function tools (both verified there against the API).
 * Tool calls inside assistant messages are counted as their name and
 * arguments text: an approximation, as OpenAI does not publish that framing.
 */
export function countChatTokens(model: string, messages: ChatMessage[], tools?: ChatTool[]): number {
  const enc = encoder(encodingForModel(model));
  const count = (s: string) => (s ? enc.encode(s, "all").length : 0);
  let total = 0;
  for (const m of messages) {
    total += TOKENS_PER_MESSAGE + count(m.role);
    const { text, images } = contentText(m.content);
    total += count(text) + images * IMAGE_TOKENS;
    if (m.name) total += TOKENS_PER_NAME + count(m.name);
    if (m.tool_call_id) total += count(m.tool_call_id);
    for (const call of m.tool_calls ?? []) total += count(call.function.name) + count(call.function.arguments);
  }
  total += REPLY_PRIMING;
  if (tools?.length) total += countToolTokens(model, tools);
  return total;
}

type JsonSchemaProperty = { type?: unknown; description?: unknown; enum?: unknown };

function countToolTokens(model: string, tools: ChatTool[]): number {
  const enc = encoder(encodingForModel(model));
  const count = (s: string) => (s ? enc.encode(s, "all").length : 0);
  // The cookbook's constants differ only in the per-function start cost.
  const funcInit = encodingForModel(model) === "o200k_base" ? 7 : 10;
  const propInit = 3;
  const propKey = 3;
  const enumInit = -3;
  const enumItem = 3;
  const funcEnd = 12;
  const trimDot = (s: string) => (s.endsWith(".") ? s.slice(0, -1) : s);

  let total = 0;
  for (const tool of tools) {
    const fn = tool.function;
    total += funcInit + count(`${fn.name}:${trimDot(fn.description ?? "")}`);
    const properties = (fn.parameters?.properties ?? {}) as Record<string, JsonSchemaProperty>;
    const keys = Object.keys(properties);
    if (keys.length > 0) {
      total += propInit;
      for (const key of keys) {
        const prop = properties[key] ?? {};
        total += propKey;
        if (Array.isArray(prop.enum)) {
          total += enumInit;
          for (const item of prop.enum) total += enumItem + count(String(item));
        }
        const type = typeof prop.type === "string" ? prop.type : JSON.stringify(prop.type ?? "");
        const description = typeof prop.description === "string" ? prop.description : "";
        total += count(`${key}:${type}:${trimDot(description)}`);
      }
    }
  }
  return total + funcEnd;
}

/** Usage we computed ourselves, for upstreams that did not report it. */
export function countedUsage(
  model: string,
  messages: ChatMessage[],
  tools: ChatTool[] | undefined,
  completionText: string,
): Usage {
  const prompt = countChatTokens(model, messages, tools);
  const completion = countTokens(model, completionText);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
