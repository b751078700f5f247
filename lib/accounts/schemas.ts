import { z } from "zod";
import { activeProviderUrlPolicy, providerKind, providerUrlProblem } from "@/lib/providers/schemas";

// Which base URLs an admin may set (SSRF): lib/providers/address-policy.ts.
// The same policy is applied again at connect time to the addresses a host
// resolves to, which no check of the URL as written can see.
export { providerUrlPolicies, providerUrlProblem, type ProviderUrlPolicy } from "@/lib/providers/schemas";

export const baseUrl = z
  .string()
  .trim()
  .url("must be an http(s) URL")
  .refine((u) => /^https?:\/\//i.test(u), "must be an http(s) URL")
  .superRefine((u, ctx) => {
    if (!URL.canParse(u)) return; // reported by .url() above
    const problem = providerUrlProblem(u, activeProviderUrlPolicy());
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .transform((u) => u.replace(/\/+$/, ""));

const modelPattern = z.string().trim().min(1).max(200).regex(/^[A-Za-z0-9._:/@*-]+$/, "may contain letters, digits, . _ : / @ - and *");

/** How a stored secret is shown (`••••` + maybe its last four characters); sent back, it stands for the stored value. */
export const SECRET_MASK = "••••";
export const isMaskedSecret = (v: string) => v.startsWith(SECRET_MASK);

// RFC 9110 token characters. Values are latin-1 text without line breaks: what
// an HTTP/1.1 header can carry (a masked value is the one exception, resolved
// by the store before anything is sent).
const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const headerValue = /^[\t\x20-\x7e\x80-\xff]*$/;

const settings = z.record(z.string(), z.unknown()).superRefine((s, ctx) => {
  // OpenAI accounts: Responses requests go natively to /v1/responses (unset: on for api.openai.com only).
  if (s.responsesApi !== undefined && typeof s.responsesApi !== "boolean") ctx.addIssue({ code: "custom", path: ["responsesApi"], message: "must be true or false" });
  if (s.headers === undefined) return;
  if (!s.headers || typeof s.headers !== "object" || Array.isArray(s.headers)) {
    ctx.addIssue({ code: "custom", path: ["headers"], message: 'must be an object of header names to values, e.g. {"x-org": "…"}' });
    return;
  }
  for (const [name, value] of Object.entries(s.headers)) {
    if (!headerName.test(name)) ctx.addIssue({ code: "custom", path: ["headers", name], message: "is not a valid header name" });
    else if (typeof value !== "string" || value.length > 8192 || !(isMaskedSecret(value) || headerValue.test(value))) {
      ctx.addIssue({ code: "custom", path: ["headers", name], message: "must be text without line breaks, at most 8192 characters" });
    }
  }
});

const fields = {
  name: z.string().trim().min(1, "is required").max(100),
  provider: providerKind,
  baseUrl: baseUrl.nullish(),
  apiKey: z.string().trim().min(1).max(4000).nullish(),
  models: z.array(modelPattern).max(500),
  aliases: z.record(modelPattern, modelPattern),
  settings,
  enabled: z.boolean(),
  weight: z.number().int().min(0).max(1000),
  priority: z.number().int().min(0).max(100),
  firstByteTimeoutMs: z.number().int().min(100).max(600_000),
  idleTimeoutMs: z.number().int().min(100).max(600_000),
  rpmLimit: z.number().int().min(1).max(100_000_000).nullable(),
  tpmLimit: z.number().int().min(1).max(2_000_000_000).nullable(),
  probeMode: z.enum(["off", "models", "completion"]),
  probeIntervalSec: z.number().int().min(5).max(86_400),
  probeModel: modelPattern.nullable(),
  modelOverrides: z.record(modelPattern, z.object({ weight: z.number().int().min(0).max(1000).optional(), priority: z.number().int().min(0).max(100).optional() })),
};

export const createAccountInput = z
  .object({
    ...fields,
    models: fields.models.default([]),
    aliases: fields.aliases.default({}),
    settings: fields.settings.default({}),
    enabled: fields.enabled.default(true),
    weight: fields.weight.default(1),
    priority: fields.priority.default(0),
    firstByteTimeoutMs: fields.firstByteTimeoutMs.default(30_000),
    idleTimeoutMs: fields.idleTimeoutMs.default(60_000),
    rpmLimit: fields.rpmLimit.default(null),
    tpmLimit: fields.tpmLimit.default(null),
    probeMode: fields.probeMode.default("off"),
    probeIntervalSec: fields.probeIntervalSec.default(60),
    probeModel: fields.probeModel.default(null),
    modelOverrides: fields.modelOverrides.default({}),
  })
  .refine((a) => a.provider !== "azure" || a.baseUrl, {
    message: "is required for Azure (the deployment URL)",
    path: ["baseUrl"],
  });
export type CreateAccountInput = z.input<typeof createAccountInput>;

/**
 * Every field optional; `apiKey: null` clears the secret, absent keeps it, except
 * that a change of baseUrl or provider clears it (and the header values) unless
 * the same request sends new ones (lib/accounts/store.ts).
 */
export const updateAccountInput = z.object(fields).partial();
export type UpdateAccountInput = z.input<typeof updateAccountInput>;

// ─── Account health: routing settings and admin actions ───

export const routingStrategies = ["weighted", "least_latency", "least_busy", "most_headroom", "cheapest"] as const;
export const routingStrategy = z.enum(routingStrategies);
export type RoutingStrategy = z.infer<typeof routingStrategy>;

export const strategyLabels: Record<RoutingStrategy, string> = {
  weighted: "Weighted random",
  least_latency: "Least latency (EWMA, power of two choices)",
  least_busy: "Least busy (fewest calls in flight)",
  most_headroom: "Most rate-limit headroom",
  cheapest: "Cheapest (model price)",
};

/** Circuit-breaker thresholds; every field has a default (lib/accounts/routing-settings.ts). */
export const circuitSettings = z.object({
  /** Opens after this many consecutive failures. */
  consecutiveFailures: z.number().int().min(1).max(1000),
  /** …or when the error rate over the window exceeds this fraction… */
  errorRate: z.number().min(0.01).max(1),
  windowMs: z.number().int().min(1000).max(3_600_000),
  /** …with at least this many requests in the window. */
  minRequests: z.number().int().min(1).max(100_000),
  /** First cooldown; doubles on each trip that follows a recent one, up to maxCooldownMs. */
  cooldownMs: z.number().int().min(100).max(3_600_000),
  maxCooldownMs: z.number().int().min(100).max(86_400_000),
  /** Used for a 429 without Retry-After. */
  rateLimitCooldownMs: z.number().int().min(0).max(3_600_000),
});
export type CircuitSettings = z.infer<typeof circuitSettings>;

export const routingSettings = z.object({
  strategy: routingStrategy,
  /** Model pattern (globs allowed) → strategy; the most specific match wins. */
  modelStrategies: z.record(modelPattern, routingStrategy),
  circuit: circuitSettings,
});
export type RoutingSettings = z.infer<typeof routingSettings>;

export const updateRoutingSettingsInput = z.object({
  strategy: routingStrategy.optional(),
  modelStrategies: z.record(modelPattern, routingStrategy).optional(),
  circuit: circuitSettings.partial().optional(),
});
export type UpdateRoutingSettingsInput = z.input<typeof updateRoutingSettingsInput>;

export const accountHealthActions = ["disable", "enable", "drain", "undrain", "reset_circuit", "probe"] as const;
export const accountHealthAction = z.object({ action: z.enum(accountHealthActions) });
export type AccountHealthAction = (typeof accountHealthActions)[number];
