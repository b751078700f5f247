import { z } from "zod";

// Client-safe: the console's filter form validates with the same schema the
// server stores. One code point, so a masked value keeps its length.
export const piiDetectors = ["email", "phone", "credit_card", "iban", "ipv4", "api_key"] as const;
export type PiiDetector = (typeof piiDetectors)[number];

export const filterConfig = z.object({
  /** Sensitive words and phrases, matched case-insensitively. */
  terms: z.array(z.string().trim().min(1, "may not be empty").max(200)).max(5000).default([]),
  /** Match a term only where it is not part of a longer word. */
  wholeWord: z.boolean().default(false),
  replacement: z
    .string()
    .refine((s) => Array.from(s).length === 1 && s !== "\n", "must be exactly one character")
    .default("*"),
  pii: z.array(z.enum(piiDetectors)).max(piiDetectors.length).default([]),
  /** What to do with matches in the request's messages: nothing, mask them, or refuse with 400. */
  request: z.enum(["off", "mask", "block"]).default("off"),
  /** Emit `event: segment` SSE events at code fences and `---` lines. */
  segments: z.boolean().default(false),
});
export type FilterConfig = z.output<typeof filterConfig>;
export type FilterConfigInput = z.input<typeof filterConfig>;

export const emptyFilterConfig: FilterConfig = filterConfig.parse({});

/** True when the config does nothing at all, so the hot path can skip filtering entirely. */
export function isNoopFilter(c: FilterConfig | null | undefined): boolean {
  return !c || (c.terms.length === 0 && c.pii.length === 0 && !c.segments);
}
