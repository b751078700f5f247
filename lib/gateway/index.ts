import "server-only";
// The gateway: one protocol-neutral pipeline (pipeline.ts) over one internal
// call (call.ts), ingress adapters per client dialect (ingress/), and the one
// visible list of what follows a call (settle.ts). See README.md.
export { chat } from "./ingress/openai-chat";
export { messages, countMessageTokens } from "./ingress/anthropic-messages";
export { responses, type ResponsesTemplate } from "./ingress/openai-responses";
export { embeddings } from "./ingress/embeddings";
export { createCall, createEmbeddingCall, newCompletionId, type CallOptions, type GatewayCall, type NativeCall } from "./call";
export { runCall, runEmbeddings, StreamFailure, type CallResult, type EmbeddingsResult } from "./pipeline";
export { registerSettlementSteps, type Outcome } from "./settle";
export { wantsCache, CACHE_HEADER, cacheHitRates, pruneCache, type CacheHitRate } from "./cache";
export {
  chatCompletionRequest, embeddingRequest, messagesRequest, messagesCountRequest, responsesRequest, usageQuery,
  type ChatCompletionRequestInput, type EmbeddingRequestInput, type ResponsesRequest,
} from "./schemas";
export { withFailover, backoffMs, defaultRetryPolicy, type RetryPolicy } from "./retry";
export { assertMayComplete, assertModelAllowed, modelAllowed } from "./scopes";
