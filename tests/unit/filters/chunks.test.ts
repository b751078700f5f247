import { describe, expect, it } from "vitest";
import { compileFilter, filterChunks, filterConfig, filterRequest, segmentOf, SegmentSplitter, type FilterConfigInput } from "@/lib/filters";
import type { ChatCompletionChunk, ChatCompletionRequest } from "@/lib/providers";

const compile = (c: FilterConfigInput) => compileFilter(filterConfig.parse(c))!;

const chunk = (content: string | undefined, extra: Partial<ChatCompletionChunk["choices"][number]> = {}): ChatCompletionChunk => ({
  id: "up", object: "chat.completion.chunk", created: 1, model: "m",
  choices: [{ index: 0, delta: content === undefined ? {} : { content }, finish_reason: null, ...extra }],
});
const usage: ChatCompletionChunk = { id: "up", object: "chat.completion.chunk", created: 1, model: "m", choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } };

async function run(c: FilterConfigInput, chunks: ChatCompletionChunk[]) {
  const it = chunks[Symbol.iterator]();
  const rest: AsyncIterator<ChatCompletionChunk> = { next: async () => it.next() as IteratorResult<ChatCompletionChunk> };
  const first = await rest.next();
  const out: ChatCompletionChunk[] = [];
  for await (const x of filterChunks(compile(c), first, rest)) out.push(x);
  return out;
}

const text = (out: ChatCompletionChunk[]) => out.filter((c) => !segmentOf(c)).map((c) => c.choices.map((x) => x.delta.content ?? "").join("")).join("");

describe("chunk filtering", () => {
  it("masks a term split over chunks, sends the first chunk at once and releases the rest before finish and usage", async () => {
    const out = await run({ terms: ["falcon"] }, [chunk("", { delta: { role: "assistant", content: "" } }), chunk("Project fal"), chunk("con is"), chunk(" go fal"), chunk(undefined, { finish_reason: "stop" }), usage]);
    expect(text(out)).toBe("Project ****** is go fal");
    expect(out[0]!.choices[0]!.delta.role).toBe("assistant");
    const last = out.at(-1)!;
    expect(last.usage).toBeDefined();
    expect(out.at(-2)!.choices[0]!.finish_reason).toBe("stop");
    expect(out.at(-2)!.choices[0]!.delta.content).toBe("fal");
  });

  it("flushes held text before the usage chunk when the upstream never sends finish_reason", async () => {
    const out = await run({ terms: ["secret"] }, [chunk("a sec"), usage]);
    expect(text(out)).toBe("a sec");
    expect(out.at(-1)).toBe(usage);
  });

  it("emits segments at code fences and --- lines when enabled", async () => {
    const out = await run({ segments: true }, [chunk("Intro line\n``"), chunk("`ts\nconst a = 1;\n```\nAfter\n---\nTail"), chunk(undefined, { finish_reason: "stop" })]);
    const segs = out.map(segmentOf).filter(Boolean);
    expect(segs).toEqual([
      { index: 0, kind: "text", content: "Intro line\n" },
      { index: 1, kind: "code", content: "```ts\nconst a = 1;\n```\n" },
      { index: 2, kind: "text", content: "After\n---\n" },
      { index: 3, kind: "text", content: "Tail" },
    ]);
    expect(text(out)).toBe("Intro line\n```ts\nconst a = 1;\n```\nAfter\n---\nTail");
    // Shaped as a chunk without choices, so OpenAI SDK loops that read choices[0] skip it.
    const segChunk = out.find((c) => segmentOf(c))!;
    expect(JSON.parse(JSON.stringify(segChunk))).toEqual({ id: "up", object: "chat.completion.chunk", created: 1, model: "m", choices: [], promptgate_segment: segs[0] });
  });

  it("splits segments identically however the text is chunked", () => {
    const t = "a\n```\nx\n```\nb\n***\nc";
    const whole = new SegmentSplitter();
    const expected = [...whole.push(t), ...whole.end()];
    const s = new SegmentSplitter();
    const got = [...Array.from(t).flatMap((ch) => s.push(ch)), ...s.end()];
    expect(got).toEqual(expected);
    expect(expected).toHaveLength(4);
  });
});

describe("request filtering", () => {
  const req: ChatCompletionRequest = { model: "m", messages: [{ role: "user", content: "mail me at ana@example.com" }, { role: "user", content: [{ type: "text", text: "my card 4111111111111111" }] }] };

  it("masks matches in string and text-part content in mask mode", () => {
    const out = filterRequest(compile({ pii: ["email", "credit_card"], request: "mask" }), req);
    expect(out.messages[0]!.content).toBe("mail me at ***************");
    expect(out.messages[1]!.content).toEqual([{ type: "text", text: "my card ****************" }]);
    expect(req.messages[0]!.content).toBe("mail me at ana@example.com");
  });

  it("refuses with a 400 naming the kinds of match but not the matched text in block mode", () => {
    let err: unknown;
    try {
      filterRequest(compile({ pii: ["email"], request: "block" }), req);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ status: 400, code: "bad_request" });
    expect((err as Error).message).toContain("email");
    expect((err as Error).message).not.toContain("ana@example.com");
  });

  it("leaves the request alone when request filtering is off", () => {
    expect(filterRequest(compile({ pii: ["email"] }), req)).toBe(req);
  });
});

describe("tool-call arguments (issue 17 item 4)", () => {
  const toolChunk = (index: number, args: string, head?: { id: string; name: string }): ChatCompletionChunk => ({
    id: "up", object: "chat.completion.chunk", created: 1, model: "m",
    choices: [{ index: 0, delta: { tool_calls: [{ index, ...(head ? { id: head.id, type: "function" as const } : {}), function: { ...(head ? { name: head.name } : {}), arguments: args } }] }, finish_reason: null }],
  });
  const argsOf = (out: ChatCompletionChunk[]) => {
    const args = new Map<number, string>();
    for (const c of out) for (const ch of c.choices) for (const t of ch.delta.tool_calls ?? []) args.set(t.index, (args.get(t.index) ?? "") + (t.function?.arguments ?? ""));
    return [...args.values()];
  };

  it("masking #17.4: an email split across tool-call argument chunks is masked inside its JSON string, numbers and keys untouched, JSON still valid", async () => {
    const out = await run({ pii: ["email", "phone"] }, [
      chunk("", { delta: { role: "assistant", content: "" } }),
      toolChunk(0, '{"to":"john.do', { id: "call_1", name: "send" }),
      toolChunk(0, 'e@example.com","amount":5551234567}'),
      toolChunk(1, '{"cc":"ana@exa', { id: "call_2", name: "send" }),
      toolChunk(1, 'mple.org"}'),
      chunk(undefined, { finish_reason: "tool_calls" }),
      usage,
    ]);
    const [a, b] = argsOf(out);
    expect(JSON.parse(a!)).toEqual({ to: "*".repeat(20), amount: 5551234567 });
    expect(JSON.parse(b!)).toEqual({ cc: "*".repeat(15) });
    // Tool 0's held text is released before tool 1 starts: every call's arguments stay contiguous.
    const order = out.flatMap((c) => c.choices.flatMap((ch) => (ch.delta.tool_calls ?? []).map((t) => t.index)));
    expect(order).toEqual([...order].sort());
  });
});
