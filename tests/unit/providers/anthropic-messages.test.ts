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
});
