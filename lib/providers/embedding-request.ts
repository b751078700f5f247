import { z } from "zod";
import { NO_NUL, noNul } from "@/lib/core/schemas";

// The canonical embeddings request: OpenAI's POST /v1/embeddings body, the one
// shape every provider adapter that can embed reads. Like the chat request
// (request.ts), it checks what the gateway relies on and lets any other field
// through (z.looseObject) to the upstream. Client-safe.

// OpenAI's own limits: at most 2048 inputs per request, none of them empty.
const MAX_INPUTS = 2048;
const INPUT = "must be a non-empty string, an array of non-empty strings, an array of token ids, or an array of such arrays (at most 2048)";
const text = z.string({ message: INPUT }).min(1, INPUT);
const tokenId = z.number({ message: INPUT }).int(INPUT).min(0, INPUT);
const tokens = z.array(tokenId, { message: INPUT }).min(1, INPUT);

export const embeddingInput = z.union(
  [text, z.array(text).min(1, INPUT).max(MAX_INPUTS, INPUT), tokens, z.array(tokens).min(1, INPUT).max(MAX_INPUTS, INPUT)],
  { message: INPUT },
);

const DIMENSIONS = "must be a positive integer (at most 16,384)";

export const embeddingRequest = z.looseObject({
  model: z.string({ message: "is required" }).trim().min(1, "is required").max(256).refine(noNul, NO_NUL),
  input: embeddingInput,
  dimensions: z.number({ message: DIMENSIONS }).int(DIMENSIONS).positive(DIMENSIONS).max(16_384, DIMENSIONS).optional(),
  encoding_format: z.enum(["float", "base64"], { message: "must be float or base64" }).optional(),
  user: z.string().max(256).refine(noNul, NO_NUL).optional(),
});
export type EmbeddingRequest = z.output<typeof embeddingRequest>;
export type EmbeddingRequestInput = z.input<typeof embeddingRequest>;
/** A string, strings, token ids, or arrays of token ids (each array is one input). */
export type EmbeddingInput = EmbeddingRequest["input"];
