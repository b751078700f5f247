import { describe, expect, it } from "vitest";
import { countChatTokens, countTokens, encodingForModel } from "@/lib/providers";
import type { ChatMessage, ChatTool } from "@/lib/providers";

// Reference values. "hello world" = 2 matches OpenAI's web tokenizer; the other
// plain-text counts were computed with js-tiktoken 1.0.21 (the library under
// us) when this test was written, so they pin the encoding choice per model.
// The chat and tool totals are the API-verified numbers from OpenAI's
// cookbook "How to count tokens with tiktoken" (sections 6 and 7).

const cookbookMessages: ChatMessage[] = [
  { role: "system", content: "You are a helpful, pattern-following assistant that translates corporate jargon into plain English." },
  { role: "system", name: "example_user", content: "New synergies will help drive top-line growth." },
  { role: "system", name: "example_assistant", content: "Things working well together will increase revenue." },
  { role: "system", name: "example_user", content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage." },
  { role: "system", name: "example_assistant", content: "Let's talk later when we're less busy about how to do better." },
  { role: "user", content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
];

const weatherTools: ChatTool[] = [
  {
    type: "function",
    function: {
      name: "get_current_weather",
      description: "Get the current weather in a given location",
      parameters: {
        type: "object",
        properties: {
          location: { type: "string", description: "The city and state, e.g. San Francisco, CA" },
          unit: { type: "string", description: "The unit of temperature to return", enum: ["celsius", "fahrenheit"] },
        },
        required: ["location"],
      },
    },
  },
];
const weatherMessages: ChatMessage[] = [
  { role: "system", content: "You are a helpful assistant that can answer to questions about the weather." },
  { role: "user", content: "What's the weather like in San Francisco?" },
];

describe("tokenizer", () => {
  it("picks o200k_base for the 4o/4.1/5/o-series families and cl100k_base otherwise", () => {
    for (const m of ["gpt-4o", "gpt-4o-mini", "gpt-4.1-nano", "gpt-5", "o1-mini", "o3", "o4-mini", "openai/gpt-4o", "chatgpt-4o-latest"]) {
      expect(encodingForModel(m), m).toBe("o200k_base");
    }
    for (const m of ["gpt-4", "gpt-4-turbo", "gpt-3.5-turbo", "text-embedding-3-small", "claude-3-5-sonnet-latest", "llama3", "sim-small"]) {
      expect(encodingForModel(m), m).toBe("cl100k_base");
    }
  });

  it('counts "hello world" as 2 tokens in both encodings', () => {
    expect(countTokens("gpt-4", "hello world")).toBe(2);
    expect(countTokens("gpt-4o", "hello world")).toBe(2);
  });

  it("matches reference counts computed with js-tiktoken", () => {
    expect(countTokens("gpt-4", "The quick brown fox jumps over the lazy dog.")).toBe(10);
    expect(countTokens("gpt-4o", "The quick brown fox jumps over the lazy dog.")).toBe(10);
    // The two encodings differ most on non-Latin scripts.
    expect(countTokens("gpt-4", "こんにちは世界")).toBe(4);
    expect(countTokens("gpt-4o", "こんにちは世界")).toBe(2);
    expect(countTokens("gpt-4", "")).toBe(0);
  });

  it("treats special-token text in user content as countable text instead of throwing", () => {
    expect(countTokens("gpt-4", "<|endoftext|>")).toBeGreaterThan(0);
  });

  it("reproduces the cookbook's API-verified chat prompt counts (129 for gpt-4, 124 for gpt-4o)", () => {
    expect(countChatTokens("gpt-4", cookbookMessages)).toBe(129);
    expect(countChatTokens("gpt-4o", cookbookMessages)).toBe(124);
  });

  it("reproduces the cookbook's API-verified counts with function tools (105 for gpt-4, 101 for gpt-4o)", () => {
    expect(countChatTokens("gpt-4", weatherMessages, weatherTools)).toBe(105);
    expect(countChatTokens("gpt-4o", weatherMessages, weatherTools)).toBe(101);
  });

  it("counts text content parts and assistant tool calls", () => {
    const asParts = countChatTokens("gpt-4o", [{ role: "user", content: [{ type: "text", text: "hello world" }] }]);
    const asString = countChatTokens("gpt-4o", [{ role: "user", content: "hello world" }]);
    expect(asParts).toBe(asString);
    const withCall = countChatTokens("gpt-4o", [
      { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: '{"a":1}' } }] },
    ]);
    const without = countChatTokens("gpt-4o", [{ role: "assistant", content: null }]);
    expect(withCall).toBeGreaterThan(without);
  });
});
