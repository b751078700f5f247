import { z } from "zod";

// `admin` grants the management API; `model:<glob>` limits which models a key may call.
export const apiKeyScope = z
  .string()
  .trim()
  .regex(/^(admin|completions|model:[A-Za-z0-9._:/*-]+)$/, "must be admin, completions or model:<pattern>");

export const createApiKeyInput = z.object({
  name: z.string().trim().min(1, "is required").max(100),
  scopes: z.array(apiKeyScope).max(50).default(["completions"]),
  expiresAt: z.coerce.date().refine((d) => d.getTime() > Date.now(), "must be in the future").nullish(),
});
export type CreateApiKeyInput = z.input<typeof createApiKeyInput>;
