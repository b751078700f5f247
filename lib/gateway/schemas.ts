import { z } from "zod";
import { NO_NUL, noNul, usageMetadata } from "@/lib/core/schemas";
import { maxTokensField, temperatureField, topPField } from "@/lib/providers/schemas";

// The gateway's own query schemas. The canonical chat request is lib/providers' (request.ts).
export { chatCompletionRequest, maxTokensField, temperatureField, topPField, type ChatCompletionRequestInput } from "@/lib/providers/schemas";
export { messagesRequest, messagesCountRequest } from "@/lib/providers/schemas";
export { embeddingRequest, type EmbeddingRequestInput } from "@/lib/providers/schemas";

export const usageQuery = z.object({
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  api_key_id: z.string().uuid().optional(),
});

// OpenAI's Responses API request (/api/v1/responses): what the translation to the canonical chat
// request reads is checked here, everything else passes untouched (z.looseObject) to the translation,
// which names what it cannot carry (built-in tools, unknown input items) in a 400.
const responsesItem = z.looseObject({ type: z.string().optional(), role: z.string().optional() });
export const responsesRequest = z
  .looseObject({
    model: z.string({ message: "is required" }).trim().min(1, "is required").max(256).refine(noNul, NO_NUL).optional(),
    input: z.union([z.string(), z.array(responsesItem).max(10_000)], { message: "must be a string or an array of input items" }).optional(),
    instructions: z.string().nullish(),
    tools: z.array(z.looseObject({ type: z.string({ message: "is required" }) })).max(512).nullish(),
    tool_choice: z.union([z.enum(["none", "auto", "required"]), z.looseObject({ type: z.string() })]).nullish(),
    text: z.looseObject({ format: z.looseObject({ type: z.string() }).nullish() }).nullish(),
    max_output_tokens: maxTokensField.nullish(),
    temperature: temperatureField.nullish(),
    top_p: topPField.nullish(),
    metadata: usageMetadata.refine((m) => Object.values(m).every((v) => typeof v === "string"), "values must be strings, as OpenAI requires").nullish(),
    user: z.string().max(256).refine(noNul, NO_NUL).nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    stream: z.boolean().nullish(),
    store: z.boolean().nullish(),
    previous_response_id: z.string().trim().min(1).max(256).nullish(),
    prompt: z
      .looseObject({
        id: z.string({ message: "is required: the prompt's name" }).trim().min(1, "is required").max(100),
        version: z.union([z.string().trim().min(1).max(100), z.number().int().positive()]).nullish(),
        variables: z.record(z.string(), z.unknown()).nullish(),
      })
      .nullish(),
  })
  .refine((r) => r.model || r.prompt, { message: "is required", path: ["model"] })
  .refine((r) => r.input !== undefined || r.prompt || r.previous_response_id, { message: "is required", path: ["input"] });
export type ResponsesRequest = z.output<typeof responsesRequest>;
