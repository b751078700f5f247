import "server-only";
import { anthropicAdapter } from "./anthropic.ts";
import { azureAdapter, openaiAdapter } from "./openai.ts";
import { simulatorAdapter } from "./simulator.ts";
import type { ProviderAdapter, ProviderKind } from "./types.ts";

// The providers domain: one ProviderAdapter per wire format. The gateway picks
// an adapter by account kind and never sees provider-specific shapes.

const adapters: Record<ProviderKind, ProviderAdapter> = {
  openai: openaiAdapter,
  azure: azureAdapter,
  anthropic: anthropicAdapter,
  simulator: simulatorAdapter,
};

export function adapterFor(kind: ProviderKind): ProviderAdapter {
  const adapter = adapters[kind];
  if (!adapter) throw new Error(`Unknown provider kind: ${String(kind)}`);
  return adapter;
}

export type * from "./types.ts";
export { ProviderError, isProviderError, isAbortError, isRetryableStatus } from "./errors.ts";
export type { ProviderErrorCode } from "./errors.ts";
export { countTokens, countChatTokens, countEmbeddingTokens, encodingForModel, warmTokenizer } from "./tokenizer.ts";
export type { EncodingName } from "./tokenizer.ts";
export { isUsageChunk } from "./usage.ts";
export { closeUpstreamPools, guardedLookup, upstreamStatus } from "./http.ts";
export { SIMULATOR_LABEL, providerKind, providerKinds, providerLabels } from "./schemas.ts";
export {
  fromAnthropicRequest, toAnthropicMessage, toAnthropicUsage, anthropicStopReason, AnthropicEventEncoder, type AnthropicEvent, type TranslatedMessages,
} from "./anthropic-messages.ts";
export type { MessagesRequest, MessagesCountRequest } from "./messages-request.ts";
