import { z } from "zod";
import { NO_NUL, noNul, usageMetadata } from "@/lib/usage/schemas";

// Validates what the gateway itself relies on and lets everything else through
// untouched (z.looseObject), so a new OpenAI parameter works without a release.

const contentPart = z.looseObject({ type: z.string() });
const message = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool", "function"], { message: "must be one of system, developer, user, assistant, tool" }),
  content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
  name: z.string().optional(),
  tool_call_id: z.string().optional(),
  tool_calls: z.array(z.looseObject({ id: z.string(), type: z.string(), function: z.looseObject({ name: z.string(), arguments: z.string() }) })).optional(),
});

export const chatCompletionRequest = z.looseObject({
  model: z.string({ message: "is required" }).trim().min(1, "is required").max(256).refine(noNul, NO_NUL),
  messages: z.array(message, { message: "must be an array of messages" }).min(1, "must contain at least one message").max(10_000),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.number().int().positive().max(1_000_000).nullish(),
  max_completion_tokens: z.number().int().positive().max(1_000_000).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  n: z.number().int().min(1).max(128).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  seed: z.number().int().nullish(),
  user: z.string().max(256).refine(noNul, NO_NUL).optional(),
  tools: z.array(z.looseObject({ type: z.string(), function: z.looseObject({ name: z.string() }) })).max(512).optional(),
  // OpenAI's own field: recorded with the usage event, and passed on like every other field.
  metadata: usageMetadata.refine((m) => Object.values(m).every((v) => typeof v === "string"), "values must be strings here, as OpenAI requires (the field is passed on)").nullish(),
});
export type ChatCompletionRequestInput = z.infer<typeof chatCompletionRequest>;

export const usageQuery = z.object({
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  api_key_id: z.string().uuid().optional(),
});
