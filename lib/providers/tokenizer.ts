import "server-only";
import cl100kBase from "js-tiktoken/ranks/cl100k_base";
import o200kBase from "js-tiktoken/ranks/o200k_base";
import type { ChatMessage, ChatTool, EmbeddingInput, Usage } from "./types.ts";

// Our own byte-pair counter over js-tiktoken's rank tables. js-tiktoken's
// merge rescans and re-joins the whole pre-token for every merge, so one long
// pre-token (a megabyte of one letter is a single `\p{L}+` match) costs time
// quadratic in its length: 5,000 letters took 3 s and a 1 MB body froze an
// instance (faults #14.1). Two bounds keep every count linear and small:
//
// - A pre-token longer than SLICE_BYTES is cut into slices of at most that
//   many bytes (at character boundaries) and each slice is merged on its own.
//   128 bytes is the longest token in both vocabularies, so a slice still fits
//   any token; the cut only loses merges across it.
// - A count whose texts exceed EXACT_CHARS in total is estimated from
//   SAMPLE_WINDOWS windows spread over them (see `estimate`).
//
// lib/providers/README.md states the measured error of both.

export type EncodingName = "cl100k_base" | "o200k_base";

type RankFile = { pat_str: string; special_tokens: Record<string, number>; bpe_ranks: string };

/** The longest token of cl100k_base and o200k_base, in bytes. */
export const SLICE_BYTES = 128;
/** Characters (UTF-16 units) one count handles exactly; past that it estimates. */
export const EXACT_CHARS = 64 * 1024;
const SAMPLE_WINDOWS = 128;
const WINDOW_CHARS = 256;
/** How far a window edge moves to land after a line break, or else on whitespace, instead of inside a word. */
const LINE_ALIGN_CHARS = 64;
const ALIGN_CHARS = 32;
/** Merged pieces kept, so a repeated slice (a run of one character) is merged once. */
const MERGE_CACHE_SIZE = 8192;

const NO_RANK = 0x7fffffff;
// One merge at a time (counting is synchronous), and no piece longer than a slice reaches it.
const partStart = new Int32Array(SLICE_BYTES + 1);
const pairRank = new Int32Array(SLICE_BYTES);

class Encoding {
  private readonly ranks = new Map<string, number>();
  private readonly pattern: RegExp;
  private readonly special: RegExp;
  private readonly merged = new Map<string, number>();

  constructor(file: RankFile) {
    // Keys are "binary strings" (one char per byte), which atob yields directly.
    for (const line of file.bpe_ranks.split("\n")) {
      if (!line) continue;
      const fields = line.split(" ");
      const offset = Number.parseInt(fields[1]!, 10);
      for (let i = 2; i < fields.length; i++) this.ranks.set(atob(fields[i]!), offset + i - 2);
    }
    this.pattern = new RegExp(file.pat_str, "gu");
    const escaped = Object.keys(file.special_tokens).map((t) => t.replace(/[\\^$*+?.()|[\]{}]/g, "\\$&"));
    this.special = new RegExp(escaped.join("|"), "g");
  }

  /** Tokens in `text`, exact but for pre-tokens longer than SLICE_BYTES. Linear in its length. */
  count(text: string): number {
    // Special-token text in user content ("<|endoftext|>") counts as that one token, as js-tiktoken's encode(text, "all") did.
    if (!text.includes("<|")) return this.countOrdinary(text);
    let total = 0;
    let from = 0;
    this.special.lastIndex = 0;
    for (let m = this.special.exec(text); m; m = this.special.exec(text)) {
      total += this.countOrdinary(text.slice(from, m.index)) + 1;
      from = m.index + m[0].length;
    }
    return total + this.countOrdinary(text.slice(from));
  }

  private countOrdinary(text: string): number {
    let total = 0;
    const pattern = this.pattern;
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
      if (m[0] === "") {
        pattern.lastIndex++;
        continue;
      }
      total += this.countPiece(utf8Binary(m[0]));
    }
    return total;
  }

  private countPiece(bytes: string): number {
    if (bytes.length <= SLICE_BYTES) return this.ranks.has(bytes) ? 1 : this.merge(bytes);
    let total = 0;
    for (let from = 0; from < bytes.length; ) {
      let to = Math.min(from + SLICE_BYTES, bytes.length);
      // Back off to the start of a UTF-8 sequence (not a 10xxxxxx continuation byte) so no character is cut.
      while (to < bytes.length && to > from + 4 && (bytes.charCodeAt(to) & 0xc0) === 0x80) to--;
      const slice = bytes.slice(from, to);
      total += this.ranks.has(slice) ? 1 : this.merge(slice);
      from = to;
    }
    return total;
  }

  private merge(bytes: string): number {
    const hit = this.merged.get(bytes);
    if (hit !== undefined) return hit;
    const n = bytePairCount(bytes, this.ranks);
    if (this.merged.size >= MERGE_CACHE_SIZE) this.merged.clear();
    this.merged.set(bytes, n);
    return n;
  }
}

/**
 * Parts left after byte-pair merging `bytes` (at most SLICE_BYTES long): the
 * lowest-ranked adjacent pair merges first, the leftmost on a tie, as in
 * tiktoken. Quadratic in the length, which the slice bound caps.
 */
function bytePairCount(bytes: string, ranks: Map<string, number>): number {
  let parts = bytes.length;
  if (parts < 2) return parts;
  for (let i = 0; i <= parts; i++) partStart[i] = i;
  for (let i = 0; i < parts - 1; i++) pairRank[i] = ranks.get(bytes.slice(i, i + 2)) ?? NO_RANK;
  while (parts > 1) {
    let at = -1;
    let min = NO_RANK;
    for (let i = 0; i < parts - 1; i++) {
      if (pairRank[i]! < min) {
        min = pairRank[i]!;
        at = i;
      }
    }
    if (at < 0) break;
    // Part at+1 joins part at: drop its start and the pair rank that began with it.
    partStart.copyWithin(at + 1, at + 2, parts + 1);
    pairRank.copyWithin(at + 1, at + 2, parts - 1);
    parts--;
    pairRank[at] = at < parts - 1 ? (ranks.get(bytes.slice(partStart[at]!, partStart[at + 2]!)) ?? NO_RANK) : NO_RANK;
    if (at > 0) pairRank[at - 1] = ranks.get(bytes.slice(partStart[at - 1]!, partStart[at + 1]!)) ?? NO_RANK;
  }
  return parts;
}

// Most pre-tokens are short: encoding them into one reused buffer spares an allocation per piece.
const utf8Scratch = Buffer.allocUnsafe(4096);

/** The UTF-8 bytes of `s`, one char per byte (lone surrogates become U+FFFD, as TextEncoder does). */
function utf8Binary(s: string): string {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) < 0x80) continue;
    if (s.length * 3 > utf8Scratch.length) return Buffer.from(s, "utf8").toString("latin1");
    return utf8Scratch.toString("latin1", 0, utf8Scratch.write(s, "utf8"));
  }
  return s;
}

/**
 * Tokens in all of `texts`, each counted on its own (a token never spans two
 * of them). Exact up to EXACT_CHARS in total. Past that, an estimate:
 * SAMPLE_WINDOWS windows of about WINDOW_CHARS, one at a pseudo-random place
 * in each of as many equal strata of the texts laid end to end, are counted
 * exactly, and their tokens per UTF-8 byte scale to the whole. Bytes rather
 * than characters, because a byte is much nearer a constant share of a token
 * across scripts (English runs ~4 characters a token, CJK ~1). The work is
 * one linear pass plus at most 64K characters counted, whatever the size.
 * The places are seeded by a hash of the whole text: a count is reproducible,
 * yet no text can be laid out in advance so that only its cheap parts are
 * sampled.
 */
function countTexts(enc: Encoding, texts: string[]): number {
  let total = 0;
  for (const t of texts) total += t.length;
  if (total <= EXACT_CHARS) {
    let tokens = 0;
    for (const t of texts) if (t) tokens += enc.count(t);
    return tokens;
  }
  return estimate(enc, texts, total);
}

function estimate(enc: Encoding, texts: string[], total: number): number {
  const { hash, bytes: totalBytes } = scan(texts);
  const random = mulberry32(hash);
  const stratum = total / SAMPLE_WINDOWS;
  let tokens = 0;
  let bytes = 0;
  let index = 0; // the text holding `pos`, and where it starts
  let textStart = 0;
  for (let w = 0; w < SAMPLE_WINDOWS; w++) {
    let pos = Math.floor(w * stratum + random() * (stratum - WINDOW_CHARS));
    let left = WINDOW_CHARS;
    while (left > 0 && index < texts.length) {
      const text = texts[index]!;
      const end = textStart + text.length;
      if (pos >= end) {
        textStart = end;
        index++;
        continue;
      }
      const from = pos - textStart;
      const to = Math.min(text.length, from + left);
      const [a, b] = alignWindow(text, from, to);
      if (b > a) {
        tokens += enc.count(text.slice(a, b));
        bytes += utf8Length(text, a, b);
      }
      left -= to - from;
      pos += to - from;
    }
  }
  return bytes === 0 ? 0 : Math.round((tokens * totalBytes) / bytes);
}

/**
 * Moves both cuts of a window inside `text` forward to where a pre-token
 * starts in the whole text too, so the window counts as it would in place:
 * just after the next run of line breaks if one is near (code, JSON, lists),
 * else onto the next space (a leading space belongs to the word after it).
 * Moving both the same way takes exactly the lines (or words) that start in
 * the window, each as likely as any other whatever its length; trimming both
 * inwards would favour short lines.
 */
function alignWindow(text: string, from: number, to: number): [number, number] {
  const a = from > 0 ? nextBoundary(text, from) : from;
  const b = to < text.length ? nextBoundary(text, to) : to;
  return [a, Math.max(a, b)];
}

function nextBoundary(text: string, at: number): number {
  // Scans at most LINE_ALIGN_CHARS either way, whatever the text: a break
  // just before `at` counts, as `at` may already start a line. Inside a run
  // of breaks (or of anything) longer than that, the cut stays where it is.
  const lineLimit = Math.min(text.length, at + LINE_ALIGN_CHARS);
  for (let i = Math.max(0, at - 1); i < lineLimit; i++) {
    if (text.charCodeAt(i) !== 0x0a) continue;
    let j = i + 1;
    while (j < lineLimit && (text.charCodeAt(j) === 0x0a || text.charCodeAt(j) === 0x0d)) j++;
    return j < lineLimit ? j : at;
  }
  const limit = Math.min(text.length, at + ALIGN_CHARS);
  for (let i = at; i < limit; i++) if (isSpace(text.charCodeAt(i))) return i;
  return isLowSurrogate(text.charCodeAt(at)) ? at + 1 : at;
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** One pass over every text: an FNV-1a hash (the sample's seed) and the UTF-8 length. */
function scan(texts: string[]): { hash: number; bytes: number } {
  let h = 0x811c9dc5;
  let bytes = 0;
  for (const t of texts) {
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      h = Math.imul(h ^ c, 0x01000193);
      bytes += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3;
    }
    h = Math.imul(h ^ 0xff, 0x01000193);
  }
  return { hash: h >>> 0, bytes };
}

/** UTF-8 bytes of text[from, to) (a surrogate pair is 4). */
function utf8Length(text: string, from: number, to: number): number {
  let bytes = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    bytes += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3;
  }
  return bytes;
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

// Importing the rank strings is cheap (~20 ms); building an encoding from them
// is not (~200 ms for cl100k, ~450 ms for o200k), so each is built on first
// use and then kept.
const rankFiles: Record<EncodingName, RankFile> = { cl100k_base: cl100kBase, o200k_base: o200kBase };
// On globalThis: the bundler loads this module once per server bundle (instrumentation, each route
// chunk group), and each built encoding holds ~25 MB of rank tables. One set per process.
const gt = globalThis as typeof globalThis & { __pgEncodings?: Map<EncodingName, Encoding> };
const encodings: Map<EncodingName, Encoding> = (gt.__pgEncodings ??= new Map<EncodingName, Encoding>());

function encoding(name: EncodingName): Encoding {
  let enc = encodings.get(name);
  if (!enc) {
    enc = new Encoding(rankFiles[name]);
    encodings.set(name, enc);
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

/** Builds the encoding(s) ahead of the first request, e.g. at server start. */
export function warmTokenizer(models: string[] = ["gpt-4o", "gpt-4"]): void {
  // A first count also compiles the pre-tokenizing pattern, whose Unicode classes take tens of milliseconds.
  for (const m of models) encoding(encodingForModel(m)).count("Warm up, ready.");
}

export function countTokens(model: string, text: string): number {
  if (!text) return 0;
  return countTexts(encoding(encodingForModel(model)), [text]);
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
  // Every text of the request goes into one count, so the bound on its work holds per request, not per message.
  const texts: string[] = [];
  let total = 0;
  for (const m of messages) {
    total += TOKENS_PER_MESSAGE;
    texts.push(m.role);
    const { text, images } = contentText(m.content);
    texts.push(text);
    total += images * IMAGE_TOKENS;
    if (m.name) {
      total += TOKENS_PER_NAME;
      texts.push(m.name);
    }
    if (m.tool_call_id) texts.push(m.tool_call_id);
    for (const call of m.tool_calls ?? []) texts.push(call.function.name, call.function.arguments);
  }
  total += REPLY_PRIMING;
  if (tools?.length) total += toolFraming(model, tools, texts);
  return total + countTexts(encoding(encodingForModel(model)), texts);
}

type JsonSchemaProperty = { type?: unknown; description?: unknown; enum?: unknown };

/** The fixed tokens of the tools' framing; pushes the tools' texts onto `texts`. */
function toolFraming(model: string, tools: ChatTool[], texts: string[]): number {
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
    total += funcInit;
    texts.push(`${fn.name}:${trimDot(fn.description ?? "")}`);
    const properties = (fn.parameters?.properties ?? {}) as Record<string, JsonSchemaProperty>;
    const keys = Object.keys(properties);
    if (keys.length > 0) {
      total += propInit;
      for (const key of keys) {
        const prop = properties[key] ?? {};
        total += propKey;
        if (Array.isArray(prop.enum)) {
          total += enumInit;
          for (const item of prop.enum) {
            total += enumItem;
            texts.push(String(item));
          }
        }
        const type = typeof prop.type === "string" ? prop.type : JSON.stringify(prop.type ?? "");
        const description = typeof prop.description === "string" ? prop.description : "";
        texts.push(`${key}:${type}:${trimDot(description)}`);
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

/**
 * The tokens of an embeddings input: token-id arrays count their length; the
 * texts are counted together, in one bounded count, however many there are.
 */
export function countEmbeddingTokens(model: string, input: EmbeddingInput): number {
  if (typeof input === "string") return countTokens(model, input);
  const texts: string[] = [];
  let tokens = 0;
  for (const item of input) {
    if (typeof item === "string") texts.push(item);
    else if (typeof item === "number") tokens++;
    else tokens += item.length;
  }
  return texts.length ? tokens + countTexts(encoding(encodingForModel(model)), texts) : tokens;
}
