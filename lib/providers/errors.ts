import "server-only";
import type { ProviderKind } from "./schemas.ts";

export type ProviderErrorCode =
  | "upstream_http_error"
  | "upstream_stream_error"
  | "upstream_timeout"
  | "upstream_idle_timeout"
  | "upstream_connection_error"
  | "upstream_malformed_response"
  | "invalid_request"
  | "provider_misconfigured";

export type ProviderErrorInit = {
  status: number;
  code: ProviderErrorCode;
  retryable: boolean;
  provider?: ProviderKind;
  retryAfterMs?: number;
  upstreamMessage?: string;
  upstreamType?: string;
  cause?: unknown;
};

/**
 * Every upstream failure, normalised. `retryable` answers "could another
 * attempt (on this or another account) succeed?"; whether a retry is still
 * possible (no byte sent to the client yet) is the gateway's call.
 * A client abort is never a ProviderError: it surfaces as an AbortError.
 */
export class ProviderError extends Error {
  readonly status: number;
  readonly code: ProviderErrorCode;
  readonly retryable: boolean;
  readonly provider?: ProviderKind;
  readonly retryAfterMs?: number;
  /** The provider's own error message, with our API key scrubbed out. */
  readonly upstreamMessage?: string;
  /** The provider's error type or code, e.g. "rate_limit_error", "context_length_exceeded". */
  readonly upstreamType?: string;

  constructor(message: string, init: ProviderErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "ProviderError";
    this.status = init.status;
    this.code = init.code;
    this.retryable = init.retryable;
    this.provider = init.provider;
    this.retryAfterMs = init.retryAfterMs;
    this.upstreamMessage = init.upstreamMessage;
    this.upstreamType = init.upstreamType;
  }
}

export function isProviderError(err: unknown): err is ProviderError {
  return err instanceof ProviderError;
}

/** 408, 429 and 5xx (but not 501 Not Implemented) are worth another attempt. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501);
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === "AbortError";
}

/**
 * The error to throw once the caller's signal has fired. Callers may abort
 * with any reason; we always surface name "AbortError" (keeping the reason as
 * `cause`) so the gateway has one thing to test for.
 */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === "AbortError") return reason;
  const err = new Error("The request was aborted", { cause: reason });
  err.name = "AbortError";
  return err;
}

/** Removes the API key (and anything that looks like a secret key) from upstream text. */
export function scrubSecrets(text: string, apiKey: string | null): string {
  let out = text;
  if (apiKey && apiKey.length >= 4) out = out.split(apiKey).join("[redacted]");
  return out.replace(/\b(sk-(?:ant-)?[A-Za-z0-9_*-]{6,})/g, "sk-[redacted]");
}

const MAX_UPSTREAM_MESSAGE = 2000;

export function clipMessage(text: string): string {
  return text.length > MAX_UPSTREAM_MESSAGE ? `${text.slice(0, MAX_UPSTREAM_MESSAGE)}…` : text;
}

export function malformed(provider: ProviderKind, detail: string, cause?: unknown): ProviderError {
  return new ProviderError(`Malformed response from ${provider} upstream: ${detail}`, {
    status: 502,
    code: "upstream_malformed_response",
    retryable: false,
    provider,
    cause,
  });
}

export function endedEarly(provider: ProviderKind): ProviderError {
  return new ProviderError(`The ${provider} upstream stream ended early (no end-of-stream marker)`, {
    status: 502,
    code: "upstream_connection_error",
    retryable: true,
    provider,
  });
}

export function invalidRequest(provider: ProviderKind, message: string): ProviderError {
  return new ProviderError(message, { status: 400, code: "invalid_request", retryable: false, provider });
}
