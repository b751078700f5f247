import "server-only";
// The gateway: one protocol-neutral pipeline (pipeline.ts) over one internal
// call (call.ts), ingress adapters per client dialect (ingress/), and the one
// visible list of what follows a call (settle.ts). See README.md.
export { chat } from "./ingress/openai-chat";
export { messages, countMessageTokens } from "./ingress/anthropic-messages";
export { responses, type ResponsesTemplate } from "./ingress/openai-responses";
export { createCall, newCompletionId, type CallOptions, type GatewayCall, type NativeCall } from "./call";
export { runCall, StreamFailure, type CallResult } from "./pipeline";
export { registerSettlementSteps, type Outcome } from "./settle";
export { wantsCache, CACHE_HEADER, cacheHitRates, pruneCache, type CacheHitRate } from "./cache";
export {
  chatCompletionRequest, messagesRequest, messagesCountRequest, responsesRequest, usageQuery, type ChatCompletionRequestInput, type ResponsesRequest,
} from "./schemas";
export { withFailover, backoffMs, defaultRetryPolicy, type RetryPolicy } from "./retry";
export { assertMayComplete, assertModelAllowed } from "./scopes";
