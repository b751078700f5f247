import { z } from "zod";
import { NO_NUL, noNul, usageMetadata } from "@/lib/core/schemas";

// The canonical request every ingress adapter builds and every provider adapter
// reads: OpenAI's chat-completions shape. It is defined once, here, as the zod
// schema that validates it; its type is inferred. It checks what the gateway
// relies on and lets everything else through untouched (z.looseObject), so a
// new OpenAI parameter works without a release. Client-safe.

export type ChatTextPart = { type: "text"; text: string };
export type ChatImagePart = { type: "image_url"; image_url: { url: string; detail?: "auto" | "low" | "high" } };
export type ChatRefusalPart = { type: "refusal"; refusal: string };
export type ChatAudioPart = { type: "input_audio"; input_audio: { data: string; format: string } };
export type ChatFilePart = { type: "file"; file: { file_data?: string; file_id?: string; filename?: string } };
export type ChatContentPart = ChatTextPart | ChatImagePart | ChatRefusalPart | ChatAudioPart | ChatFilePart;
export type ChatToolChoice = "none" | "auto" | "required" | { type: "function"; function: { name: string } };

// Content parts are passed on as sent (only their type is checked), typed as the parts we read.
const contentPart = z.looseObject({ type: z.string() }).transform((p) => p as ChatContentPart);
const message = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool", "function"], { message: "must be one of system, developer, user, assistant, tool" }),
  content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
  name: z.string().optional(),
  tool_call_id: z.string().optional(),
  tool_calls: z.array(z.looseObject({ id: z.string(), type: z.string(), function: z.looseObject({ name: z.string(), arguments: z.string() }) })).optional(),
});

// Messages in the words of the API, not zod's defaults ("Too small: expected number to be >0").
// Shared with prompt configs and overrides (lib/prompts/schemas.ts).
const TOKENS = "must be a positive integer (at most 1,000,000)";
export const maxTokensField = z.number({ message: TOKENS }).int(TOKENS).positive(TOKENS).max(1_000_000, TOKENS);
const between = (min: number, max: number) => {
  const m = `must be a number from ${min} to ${max}`;
  return z.number({ message: m }).min(min, m).max(max, m);
};
export const temperatureField = between(0, 2);
export const topPField = between(0, 1);

export const chatCompletionRequest = z.looseObject({
  model: z.string({ message: "is required" }).trim().min(1, "is required").max(256).refine(noNul, NO_NUL),
  messages: z.array(message, { message: "must be an array of messages" }).min(1, "must contain at least one message").max(10_000),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: maxTokensField.nullish(),
  max_completion_tokens: maxTokensField.nullish(),
  temperature: temperatureField.nullish(),
  top_p: topPField.nullish(),
  n: z.number({ message: "must be an integer from 1 to 128" }).int("must be an integer from 1 to 128").min(1, "must be an integer from 1 to 128").max(128, "must be an integer from 1 to 128").nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  seed: z.number().int().nullish(),
  user: z.string().max(256).refine(noNul, NO_NUL).optional(),
  tools: z.array(z.looseObject({ type: z.string(), function: z.looseObject({
    name: z.string(),
    description: z.custom<string>().optional(),
    parameters: z.custom<Record<string, unknown>>().optional(),
    strict: z.custom<boolean | null>().optional(),
  }) })).max(512).optional(),
  // Passed on unchecked (the upstream judges them); typed for the adapters that translate them.
  tool_choice: z.custom<ChatToolChoice>().optional(),
  parallel_tool_calls: z.custom<boolean>().optional(),
  response_format: z.custom<{ type: string; [k: string]: unknown }>().optional(),
  logprobs: z.custom<boolean | null>().optional(),
  top_logprobs: z.custom<number | null>().optional(),
  presence_penalty: z.custom<number | null>().optional(),
  frequency_penalty: z.custom<number | null>().optional(),
  // OpenAI's own field: recorded with the usage event, and passed on like every other field.
  metadata: usageMetadata.refine((m) => Object.values(m).every((v) => typeof v === "string"), "values must be strings here, as OpenAI requires (the field is passed on)").nullish(),
});
export type ChatCompletionRequest = z.output<typeof chatCompletionRequest>;
export type ChatCompletionRequestInput = z.input<typeof chatCompletionRequest>;
export type ChatMessage = ChatCompletionRequest["messages"][number];
export type ChatRole = ChatMessage["role"];
export type ChatToolCall = NonNullable<ChatMessage["tool_calls"]>[number];
export type ChatTool = NonNullable<ChatCompletionRequest["tools"]>[number];
