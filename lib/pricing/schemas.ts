import { z } from "zod";

// Client-safe: the console's price form validates with the same schema.

export const createPriceInput = z.object({
  model: z
    .string()
    .trim()
    .min(1, "is required")
    .max(200)
    .regex(/^[A-Za-z0-9._:/@-]+\*?$/, "letters, digits and . _ : / @ -, optionally ending in *"),
  inputPerMTok: z.coerce.number().min(0).max(100_000),
  outputPerMTok: z.coerce.number().min(0).max(100_000),
  cachedInputPerMTok: z.preprocess((v) => (v === "" || v === null || v === undefined ? null : v), z.coerce.number().min(0).max(100_000).nullable()),
  effectiveFrom: z.coerce.date(),
});
export type CreatePriceInput = z.output<typeof createPriceInput>;
