import { describe, expect, it } from "vitest";
import { adapterFor, type UpstreamAccount } from "@/lib/providers";

// Which OpenAI accounts take a Responses request natively (POST /v1/responses) rather than translated to chat.
const account = (over: Partial<UpstreamAccount>): UpstreamAccount => ({
  id: "a", name: "a", provider: "openai", baseUrl: null, apiKey: "sk-x", settings: {}, timeouts: { firstByteMs: 1000, idleMs: 1000 }, ...over,
});
const native = (over: Partial<UpstreamAccount>) => adapterFor(over.provider ?? "openai").native?.supports("openai-responses", account(over)) ?? false;

describe("Responses native passthrough: the account setting", () => {
  it("is on by default for api.openai.com (no base URL, or its own), off for any other OpenAI-compatible server", () => {
    expect(native({})).toBe(true);
    expect(native({ baseUrl: "https://api.openai.com/v1" })).toBe(true);
    expect(native({ baseUrl: "http://127.0.0.1:8000/v1" })).toBe(false);
    expect(native({ baseUrl: "https://openrouter.ai/api/v1" })).toBe(false);
  });

  it("follows settings.responsesApi when set, and never applies to Azure, Anthropic or the simulator", () => {
    expect(native({ settings: { responsesApi: false } })).toBe(false);
    expect(native({ baseUrl: "http://127.0.0.1:8000/v1", settings: { responsesApi: true } })).toBe(true);
    expect(native({ provider: "azure", baseUrl: "https://x.openai.azure.com/openai/deployments/d", settings: { responsesApi: true } })).toBe(false);
    expect(native({ provider: "anthropic" })).toBe(false);
    expect(native({ provider: "simulator" })).toBe(false);
  });
});
