import "server-only";
import type { ChatCompletionChunk, Usage } from "./types.ts";

/** Accepts an upstream usage object only if it has both counts; fills in a missing total. */
export function normaliseUsage(raw: unknown): Usage | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const u = raw as Partial<Usage>;
  if (typeof u.prompt_tokens !== "number" || typeof u.completion_tokens !== "number") return undefined;
  return {
    ...u,
    prompt_tokens: u.prompt_tokens,
    completion_tokens: u.completion_tokens,
    total_tokens: typeof u.total_tokens === "number" ? u.total_tokens : u.prompt_tokens + u.completion_tokens,
  };
}

/** The trailing `choices: []` chunk every adapter ends its stream with. */
export function usageChunk(
  template: Pick<ChatCompletionChunk, "id" | "created" | "model" | "system_fingerprint"> | undefined,
  model: string,
  usage: Usage,
): ChatCompletionChunk {
  const chunk: ChatCompletionChunk = {
    id: template?.id || `chatcmpl-${crypto.randomUUID()}`,
    object: "chat.completion.chunk",
    created: template?.created ?? Math.floor(Date.now() / 1000),
    model: template?.model || model,
    choices: [],
    usage,
  };
  if (template?.system_fingerprint) chunk.system_fingerprint = template.system_fingerprint;
  return chunk;
}

export function isUsageChunk(chunk: ChatCompletionChunk): boolean {
  return chunk.choices.length === 0 && chunk.usage !== undefined;
}
