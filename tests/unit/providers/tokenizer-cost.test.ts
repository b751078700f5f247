import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { Tiktoken } from "js-tiktoken/lite";
import cl100kBase from "js-tiktoken/ranks/cl100k_base";
import o200kBase from "js-tiktoken/ranks/o200k_base";
import { beforeAll, describe, expect, it } from "vitest";
import { countChatTokens, countTokens, warmTokenizer } from "@/lib/providers";
import { seededRandom } from "@/tests/support/random";

// Faults #14.1: js-tiktoken's byte-pair merge is quadratic in the length of one
// pre-token, so a body of one repeated letter froze an instance. These tests
// hold the tokenizer to a time bound on pathological text and to the error
// bound stated in lib/providers/README.md on realistic text.

const MODELS = ["gpt-4", "gpt-4o"] as const; // cl100k_base, o200k_base
// lib/providers/README.md states these bounds; keep them in step.
const ESTIMATE_ERROR = 0.05; // past 64K characters (measured: standard deviation ~1%, worst of 40 samples < 3%)
// A longer pre-token is cut into slices of at most 128 bytes; a cut moved the count by at most 2 tokens (0.1 on average) when measured.
const SLICE_BYTES = 128;
// Measured, not proven: most cuts move the count by 0-2 tokens; a run of box-drawing characters with a
// junction near the cut (" └───…┬───…", from the README's architecture picture) moved it by 4 (o200k).
const TOKENS_PER_CUT = 4;
// Generous for a loaded 2-core machine (a count takes ~1-50 ms); the quadratic merge took 3 s for 5,000 letters.
const PER_INPUT_MS = 1_000;

const reference = { "gpt-4": new Tiktoken(cl100kBase), "gpt-4o": new Tiktoken(o200kBase) };
const exact = (model: (typeof MODELS)[number], text: string) => reference[model].encode(text, "all").length;
const patterns = { "gpt-4": new RegExp(cl100kBase.pat_str, "gu"), "gpt-4o": new RegExp(o200kBase.pat_str, "gu") };
/** Cuts the slicing makes in `text` at most (a slice ends at a character boundary, so it holds at least 125 bytes). */
const cuts = (model: (typeof MODELS)[number], text: string) =>
  [...text.matchAll(patterns[model])].reduce((n, m) => n + Math.max(0, Math.ceil(Buffer.byteLength(m[0]) / (SLICE_BYTES - 3)) - 1), 0);

function timed<T>(fn: () => T): { value: T; ms: number } {
  const t = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t };
}

const root = join(import.meta.dirname, "../../..");
const read = (path: string) => readFileSync(join(root, path), "utf8");

function filesUnder(dir: string, ext: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => join(dir, f));
}

/** Non-empty lines drawn in a seeded random order until `chars` long: varied, not periodic. */
function shuffledTo(lines: string[], chars: number, seed: number): string {
  const rand = seededRandom(seed);
  let out = "";
  while (out.length < chars) out += lines[Math.floor(rand() * lines.length)] + "\n";
  return out;
}

/**
 * The exact count of text made of non-empty lines, each ended by one line
 * break: no pre-token spans a break followed by a non-break, so the count is
 * the sum over lines, and repeated lines are counted once. js-tiktoken's merge
 * is too slow for 150K characters of CJK, whose sentences are long pre-tokens.
 */
function exactByLines(model: (typeof MODELS)[number], text: string): number {
  const memo = new Map<string, number>();
  let total = 0;
  for (const line of text.split("\n").slice(0, -1)) {
    let n = memo.get(line);
    if (n === undefined) memo.set(line, (n = exact(model, `${line}\n`)));
    total += n;
  }
  return total;
}

const cjkLines = () => read("tests/unit/providers/corpora/cjk.txt").split("\n").filter(Boolean);
const proseLines = () => read("README.md").split("\n").filter(Boolean);

// Realistic corpora past the exact-count limit (64K characters), with their exact count.
const corpora: Record<string, () => { text: string; exact: (model: (typeof MODELS)[number]) => number }> = {
  "English prose (the READMEs)": () => direct([read("README.md"), ...filesUnder("lib", "README.md").map(read), ...filesUnder("docs", ".md").map(read)].join("\n")),
  "TypeScript code (lib/)": () => direct(filesUnder("lib", ".ts").map(read).join("\n").slice(0, 300_000)),
  "JSON (package-lock.json)": () => direct(read("package-lock.json").slice(0, 300_000)),
  "Chinese, Japanese and Korean": () => byLines(shuffledTo(cjkLines(), 150_000, 7)),
  "prose and CJK lines interleaved": () => byLines(shuffledTo([...proseLines().slice(0, 60), ...cjkLines()], 200_000, 11)),
};
function direct(text: string) {
  return { text, exact: (model: (typeof MODELS)[number]) => exact(model, text) };
}
function byLines(text: string) {
  return { text, exact: (model: (typeof MODELS)[number]) => exactByLines(model, text) };
}

// Characters whose runs are one pre-token (or close to it) in one of the encodings.
const runChar = fc.constantFrom("a", "Z", "é", "ы", "中", "ア", "한", " ", "\n", "\t", "!", "=", "-", ".", "'", "1", "😀", "\u0301", "\u200b");
const run = (max: number) => fc.tuple(runChar, fc.integer({ min: 1, max })).map(([ch, n]) => ch.repeat(n));
const scriptWord = fc.constantFrom("hello", "Привет", "γειά", "שלום", "مرحبا", "नमस्ते", "こんにちは", "你好", "안녕", "😀👍", "123", "{}", "λx.", "ÆØÅ");
const pathological = fc.oneof(
  run(200_000),
  fc.array(run(40_000), { minLength: 2, maxLength: 8 }).map((runs) => runs.join("")),
  // Mixed scripts without a single space: long pre-tokens made of many scripts.
  fc.array(scriptWord, { minLength: 1, maxLength: 30_000 }).map((words) => words.join("")),
  fc.string({ unit: "grapheme", maxLength: 5_000 }),
  fc.string({ unit: fc.constantFrom(" ", "\n", "\r", "\t", "!", "?", "."), minLength: 1, maxLength: 100_000 }),
);

beforeAll(() => warmTokenizer([...MODELS]), 60_000);

describe("token counting cost", () => {
  it("faults #14.1: a 1 MB single-letter text is counted in bounded time (the quadratic merge took 3 s for 5,000 letters)", () => {
    const body = "a".repeat(1_000_000);
    for (const model of MODELS) {
      // As in a running server: the code is compiled (a first call on a cold JIT is slower), on another text.
      countTokens(model, "warm ".repeat(20_000));
      const plain = timed(() => countTokens(model, body));
      expect(plain.ms, `${model} countTokens`).toBeLessThan(PER_INPUT_MS);
      expect(plain.value).toBeGreaterThan(0);
      const chat = timed(() => countChatTokens(model, [{ role: "user", content: body }]));
      expect(chat.ms, `${model} countChatTokens`).toBeLessThan(PER_INPUT_MS);
      expect(chat.value).toBeGreaterThan(plain.value);
    }
  });

  it("faults #14.1: counting takes bounded time on pathological text: long runs of one character, spaces, punctuation, mixed scripts", () => {
    fc.assert(
      fc.property(pathological, fc.constantFrom(...MODELS), (text, model) => {
        const { value, ms } = timed(() => countTokens(model, text));
        expect(ms).toBeLessThan(PER_INPUT_MS);
        expect(value).toBeGreaterThan(0);
        // Every token covers at least one UTF-8 byte, and a UTF-16 unit is at most 3 of them.
        expect(value).toBeLessThanOrEqual(3 * text.length);
      }),
      { numRuns: 150, seed: 1401 },
    );
  });

  it("faults #14.1: many messages share one budget: 1 MB in 20,000 messages is counted in bounded time", () => {
    const messages = Array.from({ length: 20_000 }, (_, i) => ({ role: "user" as const, content: `${i} ${"b".repeat(48)}` }));
    for (const model of MODELS) {
      const { value, ms } = timed(() => countChatTokens(model, messages));
      expect(ms, model).toBeLessThan(PER_INPUT_MS);
      // 3 framing tokens per message at least.
      expect(value).toBeGreaterThan(3 * messages.length);
    }
  });

  it("faults #14.1: the count grows with the text: a text twice over counts about twice", () => {
    fc.assert(
      fc.property(pathological, fc.constantFrom(...MODELS), (text, model) => {
        const once = countTokens(model, text);
        const twice = countTokens(model, text + text);
        expect(twice).toBeGreaterThanOrEqual(once);
        expect(twice).toBeLessThanOrEqual(Math.ceil(2 * once * (1 + ESTIMATE_ERROR)) + 2);
      }),
      { numRuns: 60, seed: 1402 },
    );
  });

  it("faults #14.1: a pre-token longer than a slice is counted within two tokens per cut of the exact byte-pair count", () => {
    // About 700 bytes (5 or 6 slices) keeps js-tiktoken's quadratic merge, the reference, fast.
    const box = ` └${"─".repeat(27)}┬${"─".repeat(28)}┘`; // one 176-byte pre-token, one cut
    for (const ch of ["a", "Z", " ", "\n", "!", "=", "-", "─", "中", "é", "😀", "\u0301", box]) {
      for (const model of MODELS) {
        const text = ch === box ? box : ch.repeat(Math.ceil(700 / Buffer.byteLength(ch)));
        const want = exact(model, text);
        const got = countTokens(model, text);
        expect(Math.abs(got - want), `${model} ${JSON.stringify(ch)}: ${got} vs ${want}`).toBeLessThanOrEqual(TOKENS_PER_CUT * cuts(model, text));
      }
    }
  }, 60_000);

  it("faults #14.1: up to 64K characters, text without a pre-token longer than a slice is counted exactly as js-tiktoken counts it", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 300 }), fc.constantFrom(...MODELS), (text, model) => {
        fc.pre(cuts(model, text) === 0);
        expect(countTokens(model, text)).toBe(exact(model, text));
      }),
      { numRuns: 300, seed: 1403 },
    );
    // The README has box-drawing lines longer than a slice.
    const prose = read("README.md").slice(0, 60_000);
    for (const model of MODELS) expect(Math.abs(countTokens(model, prose) - exact(model, prose))).toBeLessThanOrEqual(TOKENS_PER_CUT * cuts(model, prose));
  });

  it("counts text of non-empty lines as the sum of its lines, as the corpora's reference assumes", () => {
    for (const model of MODELS) {
      const { text } = corpora["prose and CJK lines interleaved"]!();
      const sample = text.slice(0, text.indexOf("\n", 20_000) + 1);
      expect(exactByLines(model, sample)).toBe(exact(model, sample));
    }
  });

  for (const [name, corpus] of Object.entries(corpora)) {
    it(`faults #14.1: past 64K characters the estimate is within ${ESTIMATE_ERROR * 100}% of the exact count: ${name}`, () => {
      const { text, exact: exactCount } = corpus();
      expect(text.length).toBeGreaterThan(100_000);
      for (const model of MODELS) {
        const want = exactCount(model);
        const { value: got, ms } = timed(() => countTokens(model, text));
        expect(Math.abs(got - want) / want, `${model}: ${got} vs ${want}`).toBeLessThanOrEqual(ESTIMATE_ERROR);
        expect(ms).toBeLessThan(PER_INPUT_MS);
      }
    }, 60_000);
  }
});
