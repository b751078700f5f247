import "server-only";
import type { RateLimitInfo } from "./types.ts";

export type ResponseHeaders = Record<string, string | string[] | undefined>;

function header(headers: ResponseHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function int(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : undefined;
}

// OpenAI resets look like "1s", "6m0s", "250ms" or "1h2m3.5s".
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDurationMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  let total = 0;
  let matched = "";
  for (const m of trimmed.matchAll(DURATION_PART)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? "s"] ?? 1000);
    matched += m[0];
  }
  return matched.length === trimmed.length && matched.length > 0 ? Math.round(total) : undefined;
}

// Anthropic resets are RFC 3339 instants.
function untilMs(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** `retry-after-ms` wins (more precise); `retry-after` may be seconds or an HTTP date. */
export function parseRetryAfterMs(headers: ResponseHeaders, now = Date.now()): number | undefined {
  const ms = header(headers, "retry-after-ms");
  if (ms !== undefined && ms.trim() !== "") {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return Math.round(n);
  }
  const ra = header(headers, "retry-after")?.trim();
  if (!ra) return undefined;
  if (/^\d+(\.\d+)?$/.test(ra)) return Math.round(Number(ra) * 1000);
  return untilMs(ra, now);
}

export function parseRateLimit(headers: ResponseHeaders, now = Date.now()): RateLimitInfo {
  const info: RateLimitInfo = {};
  const set = <K extends keyof RateLimitInfo>(key: K, value: number | undefined) => {
    if (value !== undefined) info[key] = value;
  };
  set("limitRequests", int(header(headers, "x-ratelimit-limit-requests") ?? header(headers, "anthropic-ratelimit-requests-limit")));
  set("limitTokens", int(header(headers, "x-ratelimit-limit-tokens") ?? header(headers, "anthropic-ratelimit-tokens-limit")));
  set(
    "remainingRequests",
    int(header(headers, "x-ratelimit-remaining-requests") ?? header(headers, "anthropic-ratelimit-requests-remaining")),
  );
  set(
    "remainingTokens",
    int(header(headers, "x-ratelimit-remaining-tokens") ?? header(headers, "anthropic-ratelimit-tokens-remaining")),
  );
  set(
    "resetRequestsMs",
    parseDurationMs(header(headers, "x-ratelimit-reset-requests")) ??
      untilMs(header(headers, "anthropic-ratelimit-requests-reset"), now),
  );
  set(
    "resetTokensMs",
    parseDurationMs(header(headers, "x-ratelimit-reset-tokens")) ??
      untilMs(header(headers, "anthropic-ratelimit-tokens-reset"), now),
  );
  set("retryAfterMs", parseRetryAfterMs(headers, now));
  return info;
}
