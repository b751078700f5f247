import "server-only";
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, ChatToolCallDelta } from "@/lib/providers";
import { AppError } from "@/lib/core";
import type { CompiledFilter } from "./compile";
import { JsonStringMasker, maskJsonStrings } from "./json-masker";
import { SegmentSplitter, type Segment } from "./segments";
import type { StreamMasker } from "./stream-masker";

// Applying a compiled filter to the OpenAI chat shapes: text content
// (delta.content, message.content, text parts) and, in answers, the string
// values inside tool-call arguments (json-masker.ts), so the JSON stays valid.

/** Masks (or refuses, in block mode) the text of the request's messages. */
export function filterRequest(filter: CompiledFilter, req: ChatCompletionRequest): ChatCompletionRequest {
  const mode = filter.config.request;
  if (mode === "off" || filter.detectors.length === 0) return req;
  let matches = 0;
  const kinds = new Set<string>();
  const mask = (s: string) => {
    const r = filter.mask(s);
    matches += r.matches;
    for (const k of r.kinds) kinds.add(k);
    return r.text;
  };
  const messages = req.messages.map((m) => {
    if (typeof m.content === "string") return { ...m, content: mask(m.content) };
    if (Array.isArray(m.content)) {
      return { ...m, content: m.content.map((p) => (p.type === "text" && typeof p.text === "string" ? { ...p, text: mask(p.text) } : p)) };
    }
    return m;
  });
  if (matches === 0) return req;
  if (mode === "block") {
    // Names the kinds of match, never the matched text: the refusal must not echo what it refused.
    throw new AppError("bad_request", `The request was blocked by this key's content filter (${matches} match${matches === 1 ? "" : "es"}: ${[...kinds].sort().join(", ")})`, {
      param: "messages",
      extra: { code: "content_filter" },
    });
  }
  return { ...req, messages };
}

export function filterCompletion(filter: CompiledFilter, completion: ChatCompletion): ChatCompletion {
  if (filter.detectors.length === 0) return completion;
  const newMasker = () => filter.masker();
  return {
    ...completion,
    choices: completion.choices.map((c) => {
      const message = { ...c.message };
      if (typeof message.content === "string") message.content = filter.mask(message.content).text;
      if (message.tool_calls) {
        message.tool_calls = message.tool_calls.map((t) => ({ ...t, function: { ...t.function, arguments: maskJsonStrings(newMasker, t.function.arguments) } }));
      }
      return { ...c, message };
    }),
  };
}

type ChoiceState = {
  masker: StreamMasker | null;
  splitter: SegmentSplitter | null;
  done: boolean;
  /** One masker per tool call's arguments, by tool-call index; only the last one can still be receiving. */
  tools: Map<number, JsonStringMasker>;
};

const SEGMENT = Symbol("promptgate.segment");

/** A completed segment travelling in the chunk stream; the gateway sends it as `event: segment`. */
export type SegmentChunk = ChatCompletionChunk & { [SEGMENT]: Segment };

export function segmentOf(chunk: ChatCompletionChunk): Segment | null {
  return (chunk as Partial<SegmentChunk>)[SEGMENT] ?? null;
}

// A segment event's data is itself a chunk with no choices: the OpenAI SDKs
// yield the data of every non-`thread.*` event as a chunk (they do NOT skip
// unknown event names), and code written for them already tolerates the
// empty-choices usage chunk. The segment rides in `promptgate_segment`.
const segmentChunk = (segment: Segment, last: Pick<ChatCompletionChunk, "id" | "created" | "model">): SegmentChunk => ({
  id: last.id, object: "chat.completion.chunk", created: last.created, model: last.model, choices: [], promptgate_segment: segment, [SEGMENT]: segment,
});

/**
 * The streaming side: masks each choice's content across chunk boundaries,
 * releases what it held when a choice finishes (at the latest before the usage
 * chunk), and skips chunks left with nothing to say. The first chunk always
 * goes out at once, so time to first token is not held hostage by a match.
 */
export class ChunkFilter {
  private choices = new Map<number, ChoiceState>();
  private first = true;
  private last: Pick<ChatCompletionChunk, "id" | "created" | "model"> = { id: "", created: 0, model: "" };

  constructor(private readonly filter: CompiledFilter) {}

  private state(index: number): ChoiceState {
    let s = this.choices.get(index);
    if (!s) {
      s = { masker: this.filter.masker(), splitter: this.filter.config.segments ? new SegmentSplitter() : null, done: false, tools: new Map() };
      this.choices.set(index, s);
    }
    return s;
  }

  /** The chunks to send for one upstream chunk: none, the filtered chunk, and any completed segments. */
  apply(chunk: ChatCompletionChunk): ChatCompletionChunk[] {
    if (chunk.choices.length === 0) return [...this.flush(), chunk];
    this.last = chunk;
    const segments: Segment[] = [];
    let meaningful = this.first;
    const choices = chunk.choices.map((c) => {
      const s = this.state(c.index);
      const content = c.delta.content;
      let released = typeof content === "string" ? (s.masker ? s.masker.push(content) : content) : null;
      const tools = this.tools(s, c.delta.tool_calls);
      if (c.finish_reason != null && !s.done) {
        s.done = true;
        const rest = s.masker?.end() ?? "";
        if (rest) released = (released ?? "") + rest;
        tools.push(...this.endTools(s));
      }
      if (s.splitter) {
        if (released) segments.push(...s.splitter.push(released));
        if (s.done) segments.push(...s.splitter.end());
      }
      if (released || c.finish_reason != null || Object.keys(c.delta).some((k) => k !== "content")) meaningful = true;
      const delta = { ...c.delta };
      if (released !== null) delta.content = released;
      if (tools.length) delta.tool_calls = tools;
      return released === null && !tools.length && !c.delta.tool_calls ? c : { ...c, delta };
    });
    this.first = false;
    const out: ChatCompletionChunk[] = meaningful ? [{ ...chunk, choices }] : [];
    for (const seg of segments) out.push(segmentChunk(seg, this.last));
    return out;
  }

  /**
   * A chunk's tool-call deltas with their arguments masked. A call whose
   * arguments start means the earlier ones are complete (servers stream them
   * one after another): their held text goes out first, so each call's
   * arguments stay contiguous.
   */
  private tools(s: ChoiceState, deltas: ChatToolCallDelta[] | undefined): ChatToolCallDelta[] {
    const out: ChatToolCallDelta[] = [];
    for (const t of deltas ?? []) {
      let m = s.tools.get(t.index);
      if (!m) {
        out.push(...this.endTools(s));
        m = new JsonStringMasker(() => this.filter.masker());
        s.tools.set(t.index, m);
      }
      const args = t.function?.arguments;
      out.push(typeof args === "string" ? { ...t, function: { ...t.function, arguments: m.push(args) } } : t);
    }
    return out;
  }

  /** The held ends of every tool call's arguments, as deltas. */
  private endTools(s: ChoiceState): ChatToolCallDelta[] {
    const out: ChatToolCallDelta[] = [];
    for (const [index, m] of s.tools) {
      const rest = m.end();
      if (rest) out.push({ index, function: { arguments: rest } });
    }
    return out;
  }

  /** Whatever is still held, as one more chunk (and the last segments): the stream is ending. */
  flush(): ChatCompletionChunk[] {
    const choices: ChatCompletionChunk["choices"] = [];
    const segments: Segment[] = [];
    for (const [index, s] of this.choices) {
      if (s.done) continue;
      s.done = true;
      const rest = s.masker?.end() ?? "";
      if (s.splitter) segments.push(...s.splitter.push(rest), ...s.splitter.end());
      const tools = this.endTools(s);
      if (rest || tools.length) choices.push({ index, delta: { ...(rest ? { content: rest } : {}), ...(tools.length ? { tool_calls: tools } : {}) }, finish_reason: null });
    }
    const out: ChatCompletionChunk[] = [];
    if (choices.length) out.push({ id: this.last.id, object: "chat.completion.chunk", created: this.last.created, model: this.last.model, choices });
    for (const seg of segments) out.push(segmentChunk(seg, this.last));
    return out;
  }
}

/**
 * Wraps the upstream's chunk iterator (whose first result the gateway has
 * already read) in the filter. Upstream errors pass through unchanged.
 */
export async function* filterChunks(
  filter: CompiledFilter,
  first: IteratorResult<ChatCompletionChunk>,
  rest: AsyncIterator<ChatCompletionChunk>,
): AsyncGenerator<ChatCompletionChunk, undefined> {
  const f = new ChunkFilter(filter);
  let r = first;
  while (!r.done) {
    yield* f.apply(r.value);
    r = await rest.next();
  }
  yield* f.flush();
  return undefined;
}
