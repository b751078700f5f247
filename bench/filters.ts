// `npm run bench:filters`: what streaming content filters add to the gateway,
// in-process (the filter is pure CPU; an HTTP round trip would only add noise).
//
//   - added time to first token: the work between the upstream's first chunk
//     and the first frame to the client (the filter lookup plus the first chunk
//     through the filter), with the policy already cached, as on the hot path;
//   - per-chunk cost over a long stream of token-sized chunks;
//   - 1,000 sensitive terms + all six PII detectors, against a baseline of no
//     filter from the same run, and Aho-Corasick against one combined regex
//     (the alternative design) for the terms.
//
//   npm run bench:filters [-- --quick]
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { compileFilter } from "../lib/filters/compile.ts";
import { filterChunks } from "../lib/filters/chat.ts";
import { filterConfig, piiDetectors } from "../lib/filters/schemas.ts";
import { StreamMasker } from "../lib/filters/stream-masker.ts";
import { piiDetector, type Detector } from "../lib/filters/detectors.ts";
import { termsDetector } from "../lib/filters/terms.ts";
import type { ChatCompletionChunk } from "../lib/providers/types.ts";
import { summarise, type Summary } from "./lib/stats.ts";
import { fmt, markdownTable, ratio, textTable, type Row } from "./lib/table.ts";

const { values: argv } = parseArgs({ options: { quick: { type: "boolean" } } });
const quick = argv.quick === true || process.env.BENCH_QUICK === "1";
const STREAMS = quick ? 20 : 200;
const CHUNKS = 1000; // per stream, about 4 characters each: a 1,000-token answer
const TTFT_SAMPLES = quick ? 2000 : 20000;

// ---------------------------------------------------------------- inputs

let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;

const syllables = ["ka", "lo", "mi", "ren", "tas", "vo", "quin", "dra", "pel", "sor", "ith", "une", "bar", "cel", "dom"];
const word = () => Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(syllables)).join("");
const terms = Array.from(new Set(Array.from({ length: 1400 }, () => `${word()}${word()}${rand() < 0.3 ? ` ${word()}` : ""}`))).slice(0, 1000);
if (terms.length !== 1000) throw new Error("could not generate 1,000 distinct terms");

const fillers = ["the", "model", "answer", "is", "that", "we", "should", "consider", "a", "plan", "for", "data", "and", "results", "with", "care", "code", "output"];
function answer(): string {
  const parts: string[] = [];
  while (parts.join(" ").length < CHUNKS * 4) {
    const r = rand();
    if (r < 0.01) parts.push(pick(terms));
    else if (r < 0.012) parts.push(`${word()}.${word()}@example.com`);
    else if (r < 0.013) parts.push("+1 415 555 0132");
    else if (r < 0.6) parts.push(pick(fillers));
    else parts.push(word());
  }
  return parts.join(" ").slice(0, CHUNKS * 4);
}
const toChunks = (text: string) => Array.from({ length: Math.ceil(text.length / 4) }, (_, i) => text.slice(i * 4, i * 4 + 4));
const streams = Array.from({ length: STREAMS }, () => toChunks(answer()));

const chunkOf = (content: string): ChatCompletionChunk => ({
  id: "chatcmpl-bench", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content }, finish_reason: null }],
});

// The alternative to Aho-Corasick: one case-insensitive alternation, longest first
// (so the first alternative that matches at a position is the longest).
function regexTermsDetector(list: string[]): Detector {
  const ac = termsDetector(list.map((text) => ({ text, wholeWord: false })))!;
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp([...list].sort((a, b) => b.length - a.length).map(esc).join("|"), "gi");
  return {
    name: "terms-regex",
    maxLen: ac.maxLen,
    hold: ac.hold, // the hold needs prefix knowledge a regex cannot give
    find(s, from) {
      re.lastIndex = from;
      const m = re.exec(s);
      return m ? { start: m.index, end: m.index + m[0].length } : null;
    },
  };
}

// ---------------------------------------------------------------- arms

type Arm = { name: string; detectors: Detector[] | null };
const pii = piiDetectors.map(piiDetector);
const acTerms = termsDetector(terms.map((text) => ({ text, wholeWord: false })))!;
const arms: Arm[] = [
  { name: "no filter (baseline)", detectors: null },
  { name: "6 PII detectors", detectors: pii },
  { name: "1,000 terms, Aho-Corasick", detectors: [acTerms] },
  { name: "1,000 terms, combined regex", detectors: [regexTermsDetector(terms)] },
  { name: "1,000 terms (AC) + 6 PII", detectors: [acTerms, ...pii] },
];

function perChunk(arm: Arm): { nsPerChunk: Summary; maxHeld: number; masked: number } {
  const samples: number[] = [];
  let maxHeld = 0;
  let masked = 0;
  let sink = 0;
  for (const chunks of streams) {
    const m = arm.detectors ? new StreamMasker(arm.detectors, "*") : null;
    const t = process.hrtime.bigint();
    for (const c of chunks) {
      // The baseline is what the gateway does without a filter: nothing.
      const out = m ? m.push(c) : c;
      sink += out.length;
      if (m && m.held > maxHeld) maxHeld = m.held;
    }
    if (m) sink += m.end().length;
    samples.push(Number(process.hrtime.bigint() - t) / chunks.length);
    masked += m?.matches ?? 0;
  }
  if (sink < 0) console.log(sink);
  return { nsPerChunk: summarise(samples), maxHeld, masked };
}

// Added TTFT: compiled filter cached (as per key on the hot path); a fresh
// stream's first chunk goes through a new ChunkFilter.
async function addedTtft(): Promise<{ first: Summary; compileMs: number }> {
  const t0 = performance.now();
  const compiled = compileFilter(filterConfig.parse({ terms, pii: [...piiDetectors] }))!;
  const compileMs = performance.now() - t0;
  const first = chunkOf("Hello");
  const samples: number[] = [];
  const none: AsyncIterator<ChatCompletionChunk> = { next: async () => ({ done: true, value: undefined }) };
  for (let i = 0; i < TTFT_SAMPLES; i++) {
    const t = process.hrtime.bigint();
    const it = filterChunks(compiled, { done: false, value: first }, none);
    await it.next();
    samples.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  return { first: summarise(samples), compileMs };
}

// ---------------------------------------------------------------- run

// Warm-up so the JIT has settled for every arm.
for (const arm of arms) perChunk(arm);
const results = arms.map((arm) => ({ arm, ...perChunk(arm) }));
const base = results[0]!.nsPerChunk.mean;
const ttft = await addedTtft();

const header: Row = ["arm", "ns/chunk mean", "p50", "p99", "vs baseline", "max held chars", "masked"];
const rows: Row[] = results.map((r) => [
  r.arm.name, fmt(r.nsPerChunk.mean, 0), fmt(r.nsPerChunk.p50, 0), fmt(r.nsPerChunk.p99, 0),
  r === results[0] ? "1.00x" : `+${fmt(r.nsPerChunk.mean - base, 0)} ns (${ratio(r.nsPerChunk.mean, base)})`, String(r.maxHeld), String(r.masked),
]);
const ac = results.find((r) => r.arm.name.includes("Aho"))!;
const rx = results.find((r) => r.arm.name.includes("combined regex"))!;
const lines = [
  `Streaming content filters: ${STREAMS} streams × ${CHUNKS} chunks of 4 characters, ${terms.length} terms, ${pii.length} PII detectors${quick ? " (quick run)" : ""}`,
  "",
  textTable(header, rows),
  "",
  `Added time to first token (1,000 terms + 6 PII, policy cached): mean ${fmt(ttft.first.mean, 1)} µs, p50 ${fmt(ttft.first.p50, 1)} µs, p99 ${fmt(ttft.first.p99, 1)} µs over ${TTFT_SAMPLES} streams.`,
  `Compiling that policy (once per policy change, off the request path after the first call): ${fmt(ttft.compileMs, 1)} ms.`,
  `Aho-Corasick vs combined regex for 1,000 terms: ${fmt(ac.nsPerChunk.mean, 0)} vs ${fmt(rx.nsPerChunk.mean, 0)} ns/chunk (regex/AC ${ratio(rx.nsPerChunk.mean, ac.nsPerChunk.mean)}).`,
  `With no filter configured the gateway runs none of this code: the baseline row is the whole cost.`,
];
process.stdout.write(lines.join("\n") + "\n");

mkdirSync(join(import.meta.dirname, "results"), { recursive: true });
writeFileSync(
  join(import.meta.dirname, "results", "filters.md"),
  [`# bench:filters`, "", lines[0], "", markdownTable(header, rows), "", ...lines.slice(4).map((l) => `- ${l}`), ""].join("\n"),
);
