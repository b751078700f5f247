import "server-only";
import { randomUUID } from "node:crypto";
import type { Principal } from "@/lib/core";
import type { FilterConfig } from "@/lib/filters";
import type { ChatCompletionRequest, EmbeddingRequest, NativeDialect, NativeRequest } from "@/lib/providers";
import type { UsageMetadata, UsageSurface } from "@/lib/usage";

// The one internal call every ingress adapter builds: the canonical request
// (OpenAI chat-completions shape), who makes it, the client's abort signal and
// what the caller adds (attribution, routing pins, extras). The pipeline stages
// (pipeline.ts) read it; only the request-side filter replaces `request`.

export type CallOptions = {
  /** What made the call, recorded on the usage event: api (default), completion, playground… */
  source?: string;
  /** The API surface the call came in on (usage is filtered and stacked by it): chat by default. */
  surface?: UsageSurface;
  promptVersionId?: string | null;
  /** The prompts a composed template included, at the exact versions used (lib/prompts/compose.ts). */
  promptIncludes?: { prompt: string; version: number; label: string | null }[] | null;
  experimentId?: string | null;
  variantId?: string | null;
  /** Route only to this account (the console playground's account picker). */
  accountId?: string;
  /** Extra top-level fields for the response body and the first chunk (prompt, version, variant…). */
  bodyExtras?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** Extra content-filter configuration (a prompt's), merged with the API key's (lib/filters). */
  filters?: FilterConfig | null;
  /** The caller asked for the response cache (`x-promptgate-cache: on`); see cache.ts. */
  cache?: boolean;
  /** Tags recorded with the usage event when they are not in the request itself (/api/completion's `metadata`). */
  metadata?: UsageMetadata | null;
};

/**
 * The client's own request, for an ingress whose dialect an upstream may speak
 * itself (Anthropic Messages, OpenAI Responses). Accounts whose adapter
 * `native.supports(dialect)` get it as sent; the others get the canonical
 * request. The ingress must then encode both kinds of result (pipeline.ts).
 */
export type NativeCall = {
  dialect: NativeDialect;
  request: NativeRequest;
  /**
   * Set when the request uses something a translation cannot carry (an
   * Anthropic server tool…): only native accounts are routed to, and without
   * one the call is refused with this message (400).
   */
  untranslatable?: string;
};

export type GatewayCall = {
  /** The completion id: in the response, its headers and the usage event. */
  readonly id: string;
  readonly principal: Principal;
  /** The canonical request; the request-side filter replaces it before routing. */
  request: ChatCompletionRequest;
  readonly signal: AbortSignal;
  readonly options: CallOptions;
  /** The client's own request for a native passthrough; absent for the chat dialect. */
  readonly native?: NativeCall;
  /** performance.now() when the call arrived: latency and time to first token count from here. */
  readonly started: number;
  /**
   * An embeddings call's own request (runEmbeddings). `request` then carries only
   * its model and user, for the stages every call shares (scopes, trace, usage).
   */
  readonly embedding?: EmbeddingRequest;
};

export function newCompletionId(): string {
  // randomUUID draws from Node's pooled entropy; randomBytes was one OpenSSL call per request.
  return `chatcmpl-${randomUUID().replaceAll("-", "")}`;
}

export function createCall(
  principal: Principal, request: ChatCompletionRequest, signal: AbortSignal, options: CallOptions = {}, native?: NativeCall,
): GatewayCall {
  return { id: newCompletionId(), principal, request, signal, options, started: performance.now(), ...(native ? { native } : {}) };
}

/** An embeddings call: the usage event records it on the embeddings surface. */
export function createEmbeddingCall(principal: Principal, embedding: EmbeddingRequest, signal: AbortSignal, options: CallOptions = {}): GatewayCall & { embedding: EmbeddingRequest } {
  const request: ChatCompletionRequest = { model: embedding.model, messages: [], ...(embedding.user !== undefined ? { user: embedding.user } : {}) };
  return { id: newCompletionId(), principal, request, signal, options: { ...options, surface: "embeddings" }, started: performance.now(), embedding };
}
