import { z } from "zod";

// The gateway's own query schemas. The canonical chat request is lib/providers' (request.ts).
export { chatCompletionRequest, maxTokensField, temperatureField, topPField, type ChatCompletionRequestInput } from "@/lib/providers/schemas";
export { embeddingRequest, type EmbeddingRequestInput } from "@/lib/providers/schemas";

export const usageQuery = z.object({
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  api_key_id: z.string().uuid().optional(),
});
