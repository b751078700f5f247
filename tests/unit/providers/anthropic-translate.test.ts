import { describe, expect, it } from "vitest";
import { ProviderError, type ChatCompletionRequest } from "@/lib/providers";
import {
  AnthropicStreamTranslator,
  fromAnthropicMessage,
  mapStopReason,
  toAnthropicRequest,
  toOpenAIUsage,
  type AnthropicResponse,
} from "@/lib/providers/anthropic";

function req(extra: Partial<ChatCompletionRequest>): ChatCompletionRequest {
  return { model: "claude", messages: [{ role: "user", content: "Hi" }], ...extra };
}

const weatherTool = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Current weather",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

describe("OpenAI request -> Anthropic Messages", () => {
  it("moves system and developer messages into `system`", () => {
    const out = toAnthropicRequest(
      req({
        messages: [
          { role: "system", content: "Be brief." },
          { role: "developer", content: [{ type: "text", text: "Answer in French." }] },
          { role: "user", content: "Hello" },
        ],
      }),
      "claude-3-5-haiku-latest",
    );
    expect(out.system).toBe("Be brief.\n\nAnswer in French.");
    expect(out.model).toBe("claude-3-5-haiku-latest");
    expect(out.messages).toEqual([{ role: "user", content: [{ type: "text", text: "Hello" }] }]);
  });

  it("always sets max_tokens: the client's, else the account default, else 4096", () => {
    expect(toAnthropicRequest(req({}), "m").max_tokens).toBe(4096);
    expect(toAnthropicRequest(req({}), "m", { defaultMaxTokens: 1000 }).max_tokens).toBe(1000);
    expect(toAnthropicRequest(req({ max_tokens: 50 }), "m").max_tokens).toBe(50);
    expect(toAnthropicRequest(req({ max_tokens: 50, max_completion_tokens: 70 }), "m").max_tokens).toBe(70);
  });

  it("maps stop to stop_sequences and passes sampling parameters, clamping temperature to Anthropic's 0..1", () => {
    expect(toAnthropicRequest(req({ stop: "END" }), "m").stop_sequences).toEqual(["END"]);
    expect(toAnthropicRequest(req({ stop: ["a", "b"] }), "m").stop_sequences).toEqual(["a", "b"]);
    const out = toAnthropicRequest(req({ temperature: 1.6, top_p: 0.9 }), "m");
    expect(out.temperature).toBe(1);
    expect(out.top_p).toBe(0.9);
    expect(toAnthropicRequest(req({ temperature: 0.3 }), "m").temperature).toBe(0.3);
  });

  it("drops OpenAI-only fields, maps user to metadata.user_id and sets stream", () => {
    const out = toAnthropicRequest(
      req({ seed: 1, logprobs: true, response_format: { type: "json_object" }, presence_penalty: 1, user: "u-42", future_field: 1 }),
      "m",
      {},
      true,
    );
    expect(out).not.toHaveProperty("seed");
    expect(out).not.toHaveProperty("logprobs");
    expect(out).not.toHaveProperty("response_format");
    expect(out).not.toHaveProperty("future_field");
    expect(out.metadata).toEqual({ user_id: "u-42" });
    expect(out.stream).toBe(true);
  });

  it("translates function tools and every tool_choice form", () => {
    const out = toAnthropicRequest(req({ tools: [weatherTool, { type: "function", function: { name: "noop" } }] }), "m");
    expect(out.tools).toEqual([
      { name: "get_weather", description: "Current weather", input_schema: weatherTool.function.parameters },
      { name: "noop", input_schema: { type: "object", properties: {} } },
    ]);
    const choice = (tool_choice: ChatCompletionRequest["tool_choice"], parallel?: boolean) =>
      toAnthropicRequest(req({ tools: [weatherTool], tool_choice, parallel_tool_calls: parallel }), "m").tool_choice;
    expect(choice("auto")).toEqual({ type: "auto" });
    expect(choice("required")).toEqual({ type: "any" });
    expect(choice("none")).toEqual({ type: "none" });
    expect(choice({ type: "function", function: { name: "get_weather" } })).toEqual({ type: "tool", name: "get_weather" });
    expect(choice(undefined, false)).toEqual({ type: "auto", disable_parallel_tool_use: true });
    expect(choice("required", false)).toEqual({ type: "any", disable_parallel_tool_use: true });
    expect(choice(undefined)).toBeUndefined();
  });

  it("turns assistant tool_calls into tool_use blocks and tool messages into one merged user turn of tool_results", () => {
    const out = toAnthropicRequest(
      req({
        messages: [
          { role: "user", content: "Weather in Paris and Rome?" },
          {
            role: "assistant",
            content: "Checking.",
            tool_calls: [
              { id: "toolu_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
              { id: "toolu_2", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } },
            ],
          },
          { role: "tool", tool_call_id: "toolu_1", content: "18C" },
          { role: "tool", tool_call_id: "toolu_2", content: [{ type: "text", text: "24C" }] },
          { role: "user", content: "Thanks. Which is warmer?" },
        ],
      }),
      "m",
    );
    expect(out.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Weather in Paris and Rome?" }] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Checking." },
          { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
          { type: "tool_use", id: "toolu_2", name: "get_weather", input: { city: "Rome" } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_1", content: "18C" },
          { type: "tool_result", tool_use_id: "toolu_2", content: [{ type: "text", text: "24C" }] },
          { type: "text", text: "Thanks. Which is warmer?" },
        ],
      },
    ]);
  });

  it("merges consecutive same-role messages and skips empty text", () => {
    const out = toAnthropicRequest(
      req({
        messages: [
          { role: "user", content: "one" },
          { role: "user", content: "two" },
          { role: "assistant", content: "" },
          { role: "assistant", content: "three" },
          { role: "assistant", content: "four" },
        ],
      }),
      "m",
    );
    expect(out.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "one" }, { type: "text", text: "two" }] },
      { role: "assistant", content: [{ type: "text", text: "three" }, { type: "text", text: "four" }] },
    ]);
  });

  it("turns image parts into image blocks (data URLs as base64, http URLs by reference)", () => {
    const out = toAnthropicRequest(
      req({
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "What is this?" },
              { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
              { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
            ],
          },
        ],
      }),
      "m",
    );
    expect(out.messages[0]?.content).toEqual([
      { type: "text", text: "What is this?" },
      { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
      { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
    ]);
  });

  it("refuses what Anthropic cannot do with a non-retryable 400", () => {
    for (const bad of [
      req({ n: 2 }),
      req({ messages: [{ role: "assistant", content: null, tool_calls: [{ id: "x", type: "function", function: { name: "f", arguments: "{oops" } }] }] }),
      req({ messages: [{ role: "tool", content: "no id" }] }),
      req({ messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "", format: "wav" } }] }] }),
    ]) {
      let err: unknown;
      try {
        toAnthropicRequest(bad, "m");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ProviderError);
      expect(err).toMatchObject({ status: 400, retryable: false });
    }
  });
});

describe("Anthropic response -> OpenAI chat.completion", () => {
  const message: AnthropicResponse = {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-3-5-haiku-20241022",
    content: [
      { type: "text", text: "Let me check." },
      { type: "tool_use", id: "toolu_9", name: "get_weather", input: { city: "Oslo", days: 2 } },
    ],
    stop_reason: "tool_use",
    usage: { input_tokens: 100, output_tokens: 30, cache_read_input_tokens: 50, cache_creation_input_tokens: 20 },
  };

  it("maps text, tool calls with JSON-string arguments, finish reason and usage including cache tokens", () => {
    const c = fromAnthropicMessage(message, 1_700_000_000);
    expect(c).toMatchObject({ id: "msg_1", object: "chat.completion", created: 1_700_000_000, model: "claude-3-5-haiku-20241022" });
    expect(c.choices[0]).toMatchObject({
      index: 0,
      finish_reason: "tool_calls",
      message: {
        role: "assistant",
        content: "Let me check.",
        tool_calls: [{ id: "toolu_9", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo","days":2}' } }],
      },
    });
    expect(c.usage).toEqual({
      prompt_tokens: 170,
      completion_tokens: 30,
      total_tokens: 200,
      prompt_tokens_details: { cached_tokens: 50, cache_creation_tokens: 20 },
    });
  });

  it("uses null content for a tool-only answer and leaves usage unset when none was reported", () => {
    const c = fromAnthropicMessage({ ...message, content: [message.content[1]!], usage: undefined });
    expect(c.choices[0]?.message.content).toBeNull();
    expect(c.usage).toBeUndefined();
    expect(toOpenAIUsage({ output_tokens: 3 })).toBeUndefined();
  });

  it("maps every stop reason", () => {
    expect(mapStopReason("end_turn")).toBe("stop");
    expect(mapStopReason("stop_sequence")).toBe("stop");
    expect(mapStopReason("max_tokens")).toBe("length");
    expect(mapStopReason("tool_use")).toBe("tool_calls");
    expect(mapStopReason("refusal")).toBe("content_filter");
    expect(mapStopReason(null)).toBe("stop");
  });
});

describe("Anthropic stream events -> OpenAI chunks", () => {
  it("translates text, interleaved tool calls with the right indexes, finish reason and usage", () => {
    const t = new AnthropicStreamTranslator("claude");
    const events = [
      { type: "message_start", message: { id: "msg_s", type: "message", role: "assistant", model: "claude-x", content: [], stop_reason: null, usage: { input_tokens: 12, output_tokens: 1, cache_read_input_tokens: 4 } } },
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      { type: "ping" },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hi" } },
      { type: "content_block_stop", index: 0 },
      { type: "content_block_start", index: 1, content_block: { type: "tool_use", id: "toolu_a", name: "f", input: {} } },
      { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: '{"x":' } },
      { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "1}" } },
      { type: "content_block_stop", index: 1 },
      { type: "content_block_start", index: 2, content_block: { type: "tool_use", id: "toolu_b", name: "g", input: {} } },
      { type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: "{}" } },
      { type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 9 } },
      { type: "message_stop" },
    ];
    const chunks = events.flatMap((e) => t.translate(e as never));
    expect(chunks.every((c) => c.id === "msg_s" && c.model === "claude-x" && c.object === "chat.completion.chunk")).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta)).toEqual([
      { role: "assistant", content: "" },
      { content: "Hi" },
      { tool_calls: [{ index: 0, id: "toolu_a", type: "function", function: { name: "f", arguments: "" } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"x":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: "1}" } }] },
      { tool_calls: [{ index: 1, id: "toolu_b", type: "function", function: { name: "g", arguments: "" } }] },
      { tool_calls: [{ index: 1, function: { arguments: "{}" } }] },
      {},
    ]);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("tool_calls");
    expect(t.reportedUsage()).toEqual({
      prompt_tokens: 16,
      completion_tokens: 9,
      total_tokens: 25,
      prompt_tokens_details: { cached_tokens: 4 },
    });
  });

  it("turns an overloaded_error event into a retryable 529 ProviderError", () => {
    const t = new AnthropicStreamTranslator("claude");
    let err: unknown;
    try {
      t.translate({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } } as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ status: 529, retryable: true, upstreamType: "overloaded_error", upstreamMessage: "Overloaded" });
  });
});
