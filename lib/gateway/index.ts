import "server-only";
// The gateway: one protocol-neutral pipeline (pipeline.ts) over one internal
// call (call.ts), ingress adapters per client dialect (ingress/), and the one
// visible list of what follows a call (settle.ts). See README.md.
export { chat } from "./ingress/openai-chat";
export { embeddings } from "./ingress/embeddings";
export { createCall, createEmbeddingCall, newCompletionId, type CallOptions, type GatewayCall } from "./call";
export { runCall, runEmbeddings, StreamFailure, type CallResult, type EmbeddingsResult } from "./pipeline";
export { registerSettlementSteps, type Outcome } from "./settle";
export { wantsCache, CACHE_HEADER, cacheHitRates, pruneCache, type CacheHitRate } from "./cache";
export { chatCompletionRequest, embeddingRequest, usageQuery, type ChatCompletionRequestInput, type EmbeddingRequestInput } from "./schemas";
export { withFailover, backoffMs, defaultRetryPolicy, type RetryPolicy } from "./retry";
export { assertMayComplete, assertModelAllowed } from "./scopes";
