import { describe, expect, it } from "vitest";
import type { ChatCompletionChunk } from "@/lib/providers";
import { AnthropicEventEncoder, fromAnthropicRequest, toAnthropicMessage, toAnthropicUsage } from "@/lib/providers/anthropic-messages";
import { fromAnthropicMessage, toOpenAIUsage } from "@/lib/providers/anthropic";

// The reverse translation (Anthropic Messages clients served by a chat upstream), pure parts.

const chunk = (delta: ChatCompletionChunk["choices"][number]["delta"], finish: ChatCompletionChunk["choices"][number]["finish_reason"] = null): ChatCompletionChunk => ({
  id: "c", object: "chat.completion.chunk", created: 0, model: "gpt-x", choices: [{ index: 0, delta, finish_reason: finish }],
});
const usageChunk = (usage: NonNullable<ChatCompletionChunk["usage"]>): ChatCompletionChunk => ({ id: "c", object: "chat.completion.chunk", created: 0, model: "gpt-x", choices: [], usage });

describe("Anthropic Messages ← chat (lib/providers/anthropic-messages.ts)", () => {
  it("messages #17.1: interleaved parallel tool-call arguments each reach their own tool_use block", () => {
    const enc = new AnthropicEventEncoder("msg_1", "m");
    const events = [
      chunk({ tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "a", arguments: '{"x":' } }] }),
      chunk({ tool_calls: [{ index: 1, id: "call_b", type: "function", function: { name: "b", arguments: '{"y":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: "1}" } }] }),
      chunk({ tool_calls: [{ index: 1, function: { arguments: "2}" } }] }),
      chunk({}, "stop"),
      usageChunk({ prompt_tokens: 30, completion_tokens: 5, total_tokens: 35, prompt_tokens_details: { cached_tokens: 10, cache_creation_tokens: 4 } }),
    ].flatMap((c) => enc.events(c));
    const json = new Map<number, string>();
    for (const [, data] of events) {
      const e = data as { type: string; index?: number; delta?: { partial_json?: string } };
      if (e.type === "content_block_delta" && e.delta?.partial_json) json.set(e.index!, (json.get(e.index!) ?? "") + e.delta.partial_json);
    }
    expect([...json.values()].map((j) => JSON.parse(j))).toEqual([{ x: 1 }, { y: 2 }]);
    expect(events.filter(([e]) => e === "content_block_start")).toHaveLength(2);
    // A server that says "stop" after tool calls still gets the client to run them.
    expect(events.at(-2)).toEqual(["message_delta", {
      type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null },
      usage: { input_tokens: 16, output_tokens: 5, cache_read_input_tokens: 10, cache_creation_input_tokens: 4 },
    }]);
    expect(events.at(-1)![0]).toBe("message_stop");
  });

  it("messages #17.1: usage and the message object are the exact reverse of the forward translation", () => {
    const anthropicUsage = { input_tokens: 12, output_tokens: 4, cache_read_input_tokens: 7, cache_creation_input_tokens: 3 };
    expect(toAnthropicUsage(toOpenAIUsage(anthropicUsage))).toEqual(anthropicUsage);
    const original = {
      id: "msg_x", type: "message" as const, role: "assistant" as const, model: "m", stop_reason: "tool_use", stop_sequence: null,
      content: [{ type: "text", text: "Hi" }, { type: "tool_use", id: "toolu_1", name: "f", input: { a: [1, 2] } }], usage: anthropicUsage,
    };
    expect(toAnthropicMessage(fromAnthropicMessage(original), "msg_x")).toEqual(original);
  });

  it("messages #17.1: a request with Anthropic's own tools or server blocks is marked untranslatable; thinking is dropped", () => {
    const plain = fromAnthropicRequest({
      model: "m", max_tokens: 5,
      messages: [{ role: "assistant", content: [{ type: "thinking", thinking: "hmm", signature: "s" }, { type: "text", text: "ok" }] }],
    });
    expect(plain.untranslatable).toBeUndefined();
    expect(plain.request.messages).toEqual([{ role: "assistant", content: "ok" }]);
    const tool = fromAnthropicRequest({ model: "m", max_tokens: 5, tools: [{ type: "web_search_20250305", name: "web_search" }], messages: [{ role: "user", content: "x" }] });
    expect(tool.untranslatable).toMatch(/web_search/);
    const block = fromAnthropicRequest({ model: "m", max_tokens: 5, messages: [{ role: "assistant", content: [{ type: "server_tool_use", id: "s", name: "web_search", input: {} }] }] });
    expect(block.untranslatable).toMatch(/server_tool_use/);
  });

  it("messages #17.1: a server's reasoning stream becomes a thinking block before the text; a length finish is max_tokens", () => {
    const enc = new AnthropicEventEncoder("msg_2", "m");
    const events = [
      chunk({ role: "assistant", content: "" }),
      chunk({ reasoning_content: "Let me think" }),
      chunk({ reasoning_content: " more" }),
      chunk({ content: "Answer" }),
      chunk({}, "length"),
      usageChunk({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 }),
    ].flatMap((c) => enc.events(c));
    expect(events.map(([e, d]) => [e, (d as { content_block?: { type: string }; delta?: Record<string, unknown> }).content_block?.type ?? (d as { delta?: Record<string, unknown> }).delta?.type ?? null])).toEqual([
      ["message_start", null], ["ping", null],
      ["content_block_start", "thinking"], ["content_block_delta", "thinking_delta"], ["content_block_delta", "thinking_delta"], ["content_block_stop", null],
      ["content_block_start", "text"], ["content_block_delta", "text_delta"], ["content_block_stop", null],
      ["message_delta", null], ["message_stop", null],
    ]);
    expect((events.at(-2)![1] as { delta: { stop_reason: string } }).delta.stop_reason).toBe("max_tokens");
  });

  it("messages #17.1: tool_choice, parallel tool use, stop sequences and metadata.user_id map onto the chat request", () => {
    const { request } = fromAnthropicRequest({
      model: "m", max_tokens: 9, stop_sequences: ["X"], metadata: { user_id: "u-1" }, stream: true,
      tools: [{ name: "f", input_schema: { type: "object" } }], tool_choice: { type: "tool", name: "f", disable_parallel_tool_use: true },
      system: [{ type: "text", text: "A" }, { type: "text", text: "B" }],
      messages: [{ role: "user", content: [{ type: "image", source: { type: "url", url: "https://x/y.png" } }] }],
    });
    expect(request).toEqual({
      model: "m", max_tokens: 9, stop: ["X"], user: "u-1", stream: true, stream_options: { include_usage: true },
      tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
      tool_choice: { type: "function", function: { name: "f" } }, parallel_tool_calls: false,
      messages: [{ role: "system", content: "A\n\nB" }, { role: "user", content: [{ type: "image_url", image_url: { url: "https://x/y.png" } }] }],
    });
  });
});
