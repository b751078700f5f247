import { z } from "zod";
import { NO_NUL, noNul } from "@/lib/core/schemas";

// Anthropic's Messages request (POST /api/v1/messages), as clients send it.
// Like the canonical request (request.ts) it checks what the gateway reads and
// lets everything else through (z.looseObject): an Anthropic account gets the
// body as sent, so a field or block type added after this was written still
// works there. Client-safe.

const between = (min: number, max: number) => {
  const m = `must be a number from ${min} to ${max}`;
  return z.number({ message: m }).min(min, m).max(max, m);
};

// Blocks are passed on as sent (only their type is checked); the translation reads the ones it knows.
const block = z.looseObject({ type: z.string({ message: "is required" }) });
export type MessagesBlock = z.output<typeof block> & Record<string, unknown>;

const message = z.looseObject({
  role: z.enum(["user", "assistant"], { message: "must be user or assistant" }),
  content: z.union([z.string(), z.array(block)], { message: "must be a string or an array of content blocks" }),
});

const tool = z.looseObject({
  name: z.string({ message: "is required" }).min(1, "is required").max(256),
  // Absent or "custom" for a client tool; anything else is one of Anthropic's own tools (web search, code execution…).
  type: z.string().nullish(),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()).optional(),
});

const TOKENS = "is required: a positive integer (Anthropic's API requires max_tokens)";

const fields = {
  model: z.string({ message: "is required" }).trim().min(1, "is required").max(256).refine(noNul, NO_NUL),
  messages: z.array(message, { message: "must be an array of messages" }).min(1, "must contain at least one message").max(10_000),
  system: z.union([z.string(), z.array(block)], { message: "must be a string or an array of text blocks" }).optional(),
  stop_sequences: z.array(z.string()).max(1024).optional(),
  temperature: between(0, 1).optional(),
  top_p: between(0, 1).optional(),
  top_k: z.number().int().nonnegative().optional(),
  stream: z.boolean().optional(),
  tools: z.array(tool).max(512).optional(),
  tool_choice: z.looseObject({
    type: z.enum(["auto", "any", "tool", "none"], { message: "must be auto, any, tool or none" }),
    name: z.string().optional(),
    disable_parallel_tool_use: z.boolean().optional(),
  }).optional(),
  // user_id becomes the call's end user (quotas, experiments, usage).
  metadata: z.looseObject({ user_id: z.string().refine(noNul, NO_NUL).nullish() }).nullish(),
  thinking: z.looseObject({ type: z.string() }).optional(),
};

/** POST /api/v1/messages/count_tokens: the request without max_tokens. */
export const messagesCountRequest = z.looseObject({ ...fields, max_tokens: z.number().int().positive().optional() });

export const messagesRequest = z.looseObject({
  ...fields,
  max_tokens: z.number({ message: TOKENS }).int(TOKENS).positive(TOKENS).max(1_000_000, TOKENS),
});

export type MessagesRequest = z.output<typeof messagesRequest>;
export type MessagesCountRequest = z.output<typeof messagesCountRequest>;
