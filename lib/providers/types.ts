// The OpenAI chat-completions wire shapes the gateway answers in, plus the
// adapter contract (the request's shape is request.ts's schema). Only the fields we read or write are typed; the
// index signatures let anything else a client sends (or an upstream returns)
// pass through untouched, so a new OpenAI parameter works before we know it.

import type { ProviderKind } from "./schemas.ts";

export type { ProviderKind };

// The request side is the zod schema's (request.ts): defined once, type inferred.
export type {
  ChatRole, ChatTextPart, ChatImagePart, ChatRefusalPart, ChatAudioPart, ChatFilePart, ChatContentPart, ChatToolCall, ChatMessage, ChatTool,
  ChatToolChoice, ChatCompletionRequest,
} from "./request.ts";
import type { ChatCompletionRequest } from "./request.ts";

/** A tool call in an answer (always a function call in OpenAI's wire format). */
export type ResponseToolCall = { id: string; type: "function"; function: { name: string; arguments: string } };

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "function_call";

export type Usage = {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: {
    cached_tokens?: number;
    // Anthropic bills cache writes separately; OpenAI has no such field.
    cache_creation_tokens?: number;
    [k: string]: unknown;
  };
  completion_tokens_details?: { reasoning_tokens?: number; [k: string]: unknown };
  [k: string]: unknown;
};

export type ChatCompletionMessage = {
  role: "assistant";
  content: string | null;
  tool_calls?: ResponseToolCall[];
  refusal?: string | null;
  [k: string]: unknown;
};

export type ChatCompletionChoice = {
  index: number;
  message: ChatCompletionMessage;
  finish_reason: FinishReason | null;
  logprobs?: unknown;
  [k: string]: unknown;
};

export type ChatCompletion = {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: ChatCompletionChoice[];
  usage?: Usage;
  system_fingerprint?: string | null;
  [k: string]: unknown;
};

export type ChatToolCallDelta = {
  index: number;
  id?: string;
  type?: "function";
  function?: { name?: string; arguments?: string };
};

export type ChatCompletionChunkChoice = {
  index: number;
  delta: {
    role?: "assistant";
    content?: string | null;
    tool_calls?: ChatToolCallDelta[];
    refusal?: string | null;
    [k: string]: unknown;
  };
  finish_reason: FinishReason | null;
  logprobs?: unknown;
  [k: string]: unknown;
};

export type ChatCompletionChunk = {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: ChatCompletionChunkChoice[];
  // Present only on the final usage chunk (choices: []), never as null.
  usage?: Usage;
  system_fingerprint?: string | null;
  [k: string]: unknown;
};

// Parsed from x-ratelimit-* (OpenAI, Azure), anthropic-ratelimit-* and
// retry-after headers. Every field is optional: most upstreams send a subset.
export type RateLimitInfo = {
  limitRequests?: number;
  limitTokens?: number;
  remainingRequests?: number;
  remainingTokens?: number;
  resetRequestsMs?: number;
  resetTokensMs?: number;
  retryAfterMs?: number;
};

export type UpstreamAccount = {
  id: string;
  name: string;
  provider: ProviderKind;
  baseUrl: string | null;
  /** Already decrypted. Never logged, never echoed in errors. */
  apiKey: string | null;
  /**
   * Provider-specific knobs: apiVersion (azure), anthropicVersion, anthropicBeta,
   * defaultMaxTokens (anthropic), ttftMs and tokensPerSecond (simulator),
   * organization / project (openai), headers (extra request headers, any provider).
   */
  settings: Record<string, unknown>;
  timeouts: { firstByteMs: number; idleMs: number };
};

export type CallContext = {
  account: UpstreamAccount;
  upstreamModel: string;
  signal: AbortSignal;
};

export type CompleteResult = {
  completion: ChatCompletion;
  usage: Usage;
  /** True when the upstream did not report usage and we counted it with the tokenizer. */
  usageCounted: boolean;
  rateLimit: RateLimitInfo;
};

export type UpstreamStream = {
  /**
   * Normalised chunks, read from the upstream only as they are pulled. The last
   * chunk is always a usage chunk (`choices: []`, `usage` set). Iterate once.
   * Breaking out of the loop (or calling `close`) destroys the upstream request.
   */
  chunks: AsyncIterable<ChatCompletionChunk>;
  rateLimit: RateLimitInfo;
  /** Whether the final usage chunk was counted by us; meaningful once it has been yielded. */
  readonly usageCounted: boolean;
  /** Releases the upstream request if the stream will not be iterated to the end. Idempotent. */
  close(): void;
};

// ---- Native passthrough ------------------------------------------------------
//
// A client dialect that is also an upstream's own wire format goes upstream as
// the client sent it: fields we do not know and beta features survive. The
// gateway still builds the canonical request (admission, counting, the request
// log) but the upstream call is the adapter's `native` one.

/** Client dialects an upstream may speak natively. */
export type NativeDialect = "anthropic-messages" | "openai-responses";

export type NativeRequest = {
  /** The client's request body, as parsed (unknown fields kept). The adapter replaces only `model`. */
  body: Record<string, unknown>;
  /** Client headers of the dialect the upstream should see (anthropic-beta, anthropic-version…), lower-case names. */
  headers?: Record<string, string>;
};

export type NativeResult = {
  /** The upstream's answer body, to be sent to the client as is. */
  body: unknown;
  /** Upstream usage in the canonical shape; null when it reported none (the gateway counts). */
  usage: Usage | null;
  /** What the model produced, as text: for counting without usage and for the request log. */
  text: string;
  rateLimit: RateLimitInfo;
};

/** One upstream server-sent event, as received. */
export type NativeEvent = { event?: string; data: string };

export type NativeStream = {
  /** The upstream's events, read only as they are pulled; an upstream error event rejects. Returning releases the upstream. */
  events: AsyncIterator<NativeEvent>;
  /** The upstream's usage once the stream has ended (null if it reported none). */
  usage(): Usage | null;
  /** What the model produced so far, as text. */
  text(): string;
  rateLimit: RateLimitInfo;
  /** Releases the upstream request. Idempotent. */
  close(): void;
};

export type NativeAdapter = {
  /** Whether this account takes the dialect natively (an account setting may turn it off). */
  supports(dialect: NativeDialect, account: UpstreamAccount): boolean;
  /** Same contract as ProviderAdapter.complete: ProviderError or AbortError on failure. */
  complete(dialect: NativeDialect, req: NativeRequest, ctx: CallContext): Promise<NativeResult>;
  /** Resolves after 2xx headers, like ProviderAdapter.stream. */
  stream(dialect: NativeDialect, req: NativeRequest, ctx: CallContext): Promise<NativeStream>;
};

export interface ProviderAdapter {
  readonly kind: ProviderKind;
  /** Resolves with the whole completion; rejects with ProviderError or an AbortError. */
  complete(req: ChatCompletionRequest, ctx: CallContext): Promise<CompleteResult>;
  /**
   * Resolves once the upstream has answered with 2xx headers, so every failure
   * before that point (status, connect, first-byte timeout) rejects before any
   * byte could have reached our client and the request can still be retried.
   */
  stream(req: ChatCompletionRequest, ctx: CallContext): Promise<UpstreamStream>;
  /** Native passthrough for client dialects this upstream speaks itself. */
  readonly native?: NativeAdapter;
}

// ---- Embeddings -------------------------------------------------------------
// Declared apart from the chat contract above: `embed` is optional, and an
// adapter without it (Anthropic has no embeddings API) is never routed an
// embeddings call. The request is request-side canonical like the chat one
// (embedding-request.ts); the answer is OpenAI's list, as the client gets it.

export type { EmbeddingInput, EmbeddingRequest } from "./embedding-request.ts";
import type { EmbeddingRequest } from "./embedding-request.ts";

/** One vector: floats, or base64 of little-endian float32s when `encoding_format` is base64. */
export type Embedding = { object: "embedding"; index: number; embedding: number[] | string; [k: string]: unknown };

export type EmbeddingList = {
  object: "list";
  data: Embedding[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number; [k: string]: unknown };
  [k: string]: unknown;
};

export type EmbedResult = {
  response: EmbeddingList;
  /** True when the upstream did not report usage and we counted the input with the tokenizer. */
  usageCounted: boolean;
  rateLimit: RateLimitInfo;
};

export interface ProviderAdapter {
  /**
   * Embeds the request's input; rejects with ProviderError or an AbortError,
   * always before any byte could reach the client (the answer is one JSON
   * body), so every failure can be retried or failed over.
   */
  embed?(req: EmbeddingRequest, ctx: CallContext): Promise<EmbedResult>;
}
