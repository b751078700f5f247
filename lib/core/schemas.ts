import { z } from "zod";

// Client-safe validation pieces every layer shares.

/** Postgres cannot store NUL in text: refused at the edge with a clear message. */
export const noNul = (s: string) => !s.includes("\u0000");
export const NO_NUL = "must not contain NUL characters";

/**
 * A call's own tags (team, feature, trace id…), stored with its usage event
 * and filterable on the Usage page. At most 16 keys; scalar values only.
 */
export const usageMetadata = z
  .record(z.string().min(1).max(64).refine(noNul, NO_NUL), z.union([z.string().max(512).refine(noNul, NO_NUL), z.number(), z.boolean()]), {
    message: "must be an object of string, number or boolean values",
  })
  .refine((m) => Object.keys(m).length <= 16, "may have at most 16 keys");
export type UsageMetadata = z.output<typeof usageMetadata>;
