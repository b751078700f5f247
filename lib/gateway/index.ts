import "server-only";
export { chat, newCompletionId, type GatewayOptions } from "./chat";
export { wantsCache, CACHE_HEADER, cacheHitRates, pruneCache, type CacheHitRate } from "./cache";
export { chatCompletionRequest, usageQuery, type ChatCompletionRequestInput } from "./schemas";
export { withFailover, backoffMs, defaultRetryPolicy, type RetryPolicy } from "./retry";
export { assertMayComplete, assertModelAllowed } from "./scopes";
