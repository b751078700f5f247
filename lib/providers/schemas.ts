import { z } from "zod";

// Safe for client components: the console lists provider kinds and shows the
// simulator's label without pulling in the server-only adapters.

export const providerKinds = ["openai", "azure", "anthropic", "simulator"] as const;
export const providerKind = z.enum(providerKinds);
export type ProviderKind = z.infer<typeof providerKind>;

/** Shown wherever a simulator account or model appears, so nobody mistakes its output for a model's. */
export const SIMULATOR_LABEL = "Simulator (no real model)";

export const providerLabels: Record<ProviderKind, string> = {
  openai: "OpenAI (or OpenAI-compatible)",
  azure: "Azure OpenAI",
  anthropic: "Anthropic",
  simulator: SIMULATOR_LABEL,
};

export {
  activeProviderUrlPolicy, addressProblem, hostProblem, providerUrlPolicies, providerUrlProblem, type ProviderUrlPolicy,
} from "./address-policy.ts";

export {
  chatCompletionRequest, maxTokensField, temperatureField, topPField,
  type ChatCompletionRequest, type ChatCompletionRequestInput, type ChatMessage, type ChatRole, type ChatContentPart, type ChatTextPart,
  type ChatImagePart, type ChatRefusalPart, type ChatAudioPart, type ChatFilePart, type ChatToolCall, type ChatTool, type ChatToolChoice,
} from "./request.ts";

export { messagesRequest, messagesCountRequest, type MessagesRequest, type MessagesCountRequest } from "./messages-request.ts";
export { embeddingInput, embeddingRequest, type EmbeddingInput, type EmbeddingRequest, type EmbeddingRequestInput } from "./embedding-request.ts";
