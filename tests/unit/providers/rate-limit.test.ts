import { describe, expect, it } from "vitest";
import { parseDurationMs, parseRateLimit, parseRetryAfterMs } from "@/lib/providers/rate-limit";
import { scrubSecrets } from "@/lib/providers/errors";

const now = Date.parse("2026-01-01T00:00:00Z");

describe("rate-limit headers", () => {
  it("reads Retry-After as seconds or an HTTP date, preferring retry-after-ms", () => {
    expect(parseRetryAfterMs({ "retry-after": "2" }, now)).toBe(2000);
    expect(parseRetryAfterMs({ "retry-after": "0.5" }, now)).toBe(500);
    expect(parseRetryAfterMs({ "retry-after": "Thu, 01 Jan 2026 00:00:30 GMT" }, now)).toBe(30_000);
    expect(parseRetryAfterMs({ "retry-after": "Wed, 31 Dec 2025 23:00:00 GMT" }, now)).toBe(0);
    expect(parseRetryAfterMs({ "retry-after": "2", "retry-after-ms": "1250" }, now)).toBe(1250);
    expect(parseRetryAfterMs({ "retry-after": "soon" }, now)).toBeUndefined();
    expect(parseRetryAfterMs({}, now)).toBeUndefined();
  });

  it("parses OpenAI reset durations", () => {
    expect(parseDurationMs("1s")).toBe(1000);
    expect(parseDurationMs("6m0s")).toBe(360_000);
    expect(parseDurationMs("1h2m3.5s")).toBe(3_723_500);
    expect(parseDurationMs("250ms")).toBe(250);
    expect(parseDurationMs("nonsense")).toBeUndefined();
  });

  it("reads Anthropic's anthropic-ratelimit-* headers", () => {
    expect(
      parseRateLimit(
        {
          "anthropic-ratelimit-requests-limit": "50",
          "anthropic-ratelimit-requests-remaining": "49",
          "anthropic-ratelimit-requests-reset": "2026-01-01T00:00:01Z",
          "anthropic-ratelimit-tokens-limit": "40000",
          "anthropic-ratelimit-tokens-remaining": "39000",
          "anthropic-ratelimit-tokens-reset": "2026-01-01T00:00:06Z",
          "retry-after": "3",
        },
        now,
      ),
    ).toEqual({
      limitRequests: 50,
      remainingRequests: 49,
      resetRequestsMs: 1000,
      limitTokens: 40000,
      remainingTokens: 39000,
      resetTokensMs: 6000,
      retryAfterMs: 3000,
    });
    expect(parseRateLimit({}, now)).toEqual({});
  });

  it("scrubs our key and key-shaped strings from upstream text", () => {
    expect(scrubSecrets("Incorrect API key provided: my-custom-key-123", "my-custom-key-123")).toBe("Incorrect API key provided: [redacted]");
    expect(scrubSecrets("bad key sk-proj-abcdef123456", null)).toBe("bad key sk-[redacted]");
  });
});
