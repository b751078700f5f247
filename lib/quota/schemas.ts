import { z } from "zod";

// Client-safe: the policy input schemas and the vocabulary of limits, shared by
// the admin API, the CLI and the console forms.

export const quotaScopes = ["key", "user", "model", "key_model", "workspace"] as const;
export type QuotaScope = (typeof quotaScopes)[number];

export const scopeLabels: Record<QuotaScope, string> = {
  key: "API key",
  user: "End user under a key",
  model: "Model (all keys)",
  key_model: "API key and model",
  workspace: "Workspace (all its keys)",
};

/** Percent of a day or month limit alerted when used amounts cross it, unless a policy sets its own. */
export const DEFAULT_THRESHOLDS = [50, 80, 100] as const;

/** An IANA time zone name this runtime knows (Postgres ships the same database). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export type QuotaPeriod = "minute" | "day" | "month";

/** Every limit a policy may set: its input field, the window it counts in and what it counts. */
export const limitFields = [
  { field: "requestsPerMinute", name: "requests_per_minute", label: "Requests / minute", period: "minute", metric: "requests" },
  { field: "tokensPerMinute", name: "tokens_per_minute", label: "Tokens / minute", period: "minute", metric: "tokens" },
  { field: "tokensPerDay", name: "tokens_per_day", label: "Tokens / day", period: "day", metric: "tokens" },
  { field: "tokensPerMonth", name: "tokens_per_month", label: "Tokens / month", period: "month", metric: "tokens" },
  { field: "spendPerDayUsd", name: "spend_per_day", label: "Spend / day (USD)", period: "day", metric: "spend" },
  { field: "spendPerMonthUsd", name: "spend_per_month", label: "Spend / month (USD)", period: "month", metric: "spend" },
] as const satisfies readonly { field: string; name: string; label: string; period: QuotaPeriod; metric: "requests" | "tokens" | "spend" }[];

export type LimitField = (typeof limitFields)[number]["field"];
export type LimitName = (typeof limitFields)[number]["name"];
export type LimitMetric = (typeof limitFields)[number]["metric"];

const count = (max: number) => z.number().int().min(0).max(max).nullable();
// An exact model name, or a prefix ending in "*" (the same patterns as account models).
const modelPattern = z.string().trim().min(1).max(200).regex(/^[A-Za-z0-9._:/@-]+\*?$/, "must be a model name, optionally ending in *");

const fields = {
  name: z.string().trim().min(1, "is required").max(100),
  scope: z.enum(quotaScopes, { message: "must be key, user, model, key_model or workspace" }),
  apiKeyId: z.string().uuid("must be an API key id").nullable(),
  endUser: z.string().trim().min(1).max(256).nullable(),
  model: modelPattern.nullable(),
  requestsPerMinute: count(100_000_000),
  tokensPerMinute: count(2_000_000_000),
  tokensPerDay: count(2_000_000_000),
  tokensPerMonth: count(2_000_000_000),
  spendPerDayUsd: z.number().min(0).max(100_000_000).nullable(),
  spendPerMonthUsd: z.number().min(0).max(100_000_000).nullable(),
  defaultMaxTokens: z.number().int().min(1).max(1_000_000).nullable(),
  requireMaxTokens: z.boolean(),
  enabled: z.boolean(),
  // Only day and month windows are calendar windows; minutes are UTC minutes everywhere.
  timeZone: z.string().trim().min(1).max(64).refine(isTimeZone, "must be an IANA time zone such as UTC or Europe/Berlin"),
  thresholds: z.array(z.number().int().min(1).max(100)).max(10).transform((t) => [...new Set(t)].sort((a, b) => a - b)),
};

type PolicyShape = {
  scope?: QuotaScope; apiKeyId?: string | null; endUser?: string | null; model?: string | null;
} & Partial<Record<LimitField, number | null>>;

/** The rules that involve more than one field; `partial` skips fields an update leaves alone. */
function checkPolicy(p: PolicyShape, ctx: z.RefinementCtx, partial: boolean) {
  const needs = (cond: boolean, path: string, message: string) => {
    if (!cond) ctx.addIssue({ code: "custom", path: [path], message });
  };
  if (p.scope !== undefined) {
    if (p.scope === "model" || p.scope === "key_model") needs(!!p.model || (partial && p.model === undefined), "model", "is required for this scope");
    if (p.scope === "model") needs(!p.apiKeyId, "apiKeyId", "must be empty for a model-wide policy");
    if (p.scope === "key" || p.scope === "user" || p.scope === "workspace") needs(!p.model, "model", "only applies to model scopes (model, key_model)");
    if (p.scope === "workspace") needs(!p.apiKeyId, "apiKeyId", "must be empty for a workspace budget (it counts every key of the workspace)");
    if (p.scope !== "user") needs(!p.endUser, "endUser", "only applies to the user scope");
  }
  if (!partial) needs(limitFields.some((l) => p[l.field] != null), "requestsPerMinute", "set at least one limit");
}

export const createQuotaPolicyInput = z
  .object({
    ...fields,
    apiKeyId: fields.apiKeyId.default(null),
    endUser: fields.endUser.default(null),
    model: fields.model.default(null),
    requestsPerMinute: fields.requestsPerMinute.default(null),
    tokensPerMinute: fields.tokensPerMinute.default(null),
    tokensPerDay: fields.tokensPerDay.default(null),
    tokensPerMonth: fields.tokensPerMonth.default(null),
    spendPerDayUsd: fields.spendPerDayUsd.default(null),
    spendPerMonthUsd: fields.spendPerMonthUsd.default(null),
    defaultMaxTokens: fields.defaultMaxTokens.default(null),
    requireMaxTokens: fields.requireMaxTokens.default(false),
    enabled: fields.enabled.default(true),
    timeZone: fields.timeZone.default("UTC"),
    thresholds: fields.thresholds.default([...DEFAULT_THRESHOLDS]),
  })
  .superRefine((p, ctx) => checkPolicy(p, ctx, false));
export type CreateQuotaPolicyInput = z.input<typeof createQuotaPolicyInput>;

/** A change to some fields; scope rules are checked again against the merged policy in the domain. */
export const updateQuotaPolicyInput = z.object(fields).partial().superRefine((p, ctx) => checkPolicy(p, ctx, true));
export type UpdateQuotaPolicyInput = z.input<typeof updateQuotaPolicyInput>;

export const mergedPolicyCheck = z.custom<PolicyShape>().superRefine((p, ctx) => checkPolicy(p, ctx, false));

/** GET /api/quota: ?user=<end user>, and for admin keys ?api_key_id=<key>. */
export const quotaStatusQuery = z.object({
  user: z.string().trim().min(1).max(256).optional(),
  api_key_id: z.string().uuid("must be an API key id").optional(),
});

/** One limit of one policy as the API and the console show it. */
export type LimitStatus = {
  limit: LimitName;
  period: QuotaPeriod;
  metric: LimitMetric;
  max: number;
  used: number;
  reserved: number;
  remaining: number;
  windowStart: string;
  resetsAt: string;
  /** Used amount at the window's end if calls keep coming at the rate seen so far in it. */
  projected: number;
};

/** A temporary raise of a policy's day and month limits by an instance admin, until `until`. */
export type PolicyRaise = {
  tokensPerDay: number | null;
  tokensPerMonth: number | null;
  spendPerDayUsd: number | null;
  spendPerMonthUsd: number | null;
  until: string;
  reason: string;
};

/** POST /api/admin/quotas/:id/raise: extra headroom on some day/month limits until a time (at most 90 days ahead). */
export const raisePolicyInput = z
  .object({
    tokensPerDay: z.number().int().min(1).max(2_000_000_000).nullable().default(null),
    tokensPerMonth: z.number().int().min(1).max(2_000_000_000).nullable().default(null),
    spendPerDayUsd: z.number().positive().max(100_000_000).nullable().default(null),
    spendPerMonthUsd: z.number().positive().max(100_000_000).nullable().default(null),
    until: z.coerce.date().refine((d) => d.getTime() > Date.now(), "must be in the future").refine((d) => d.getTime() < Date.now() + 90 * 86_400_000, "must be within 90 days"),
    reason: z.string().trim().min(1, "is required").max(500),
  })
  .refine((r) => r.tokensPerDay != null || r.tokensPerMonth != null || r.spendPerDayUsd != null || r.spendPerMonthUsd != null, {
    message: "raise at least one day or month limit", path: ["tokensPerDay"],
  });
export type RaisePolicyInput = z.input<typeof raisePolicyInput>;

/** POST /api/admin/quotas/:id/reset: forget what the current day or month window has used (reservations stay). */
export const resetWindowInput = z.object({
  period: z.enum(["day", "month"], { message: "must be day or month" }),
  /** One counter (a key id, "<key id>:<user>", the workspace id); omitted: every counter of the policy. */
  subject: z.string().trim().min(1).max(300).optional(),
  reason: z.string().trim().min(1, "is required").max(500),
});
export type ResetWindowInput = z.input<typeof resetWindowInput>;

export type PolicyView = {
  id: string;
  name: string;
  /** The workspace it belongs to: it applies to that workspace's keys only. */
  workspaceId: string;
  scope: QuotaScope;
  apiKeyId: string | null;
  endUser: string | null;
  model: string | null;
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
  tokensPerDay: number | null;
  tokensPerMonth: number | null;
  spendPerDayUsd: number | null;
  spendPerMonthUsd: number | null;
  defaultMaxTokens: number | null;
  requireMaxTokens: boolean;
  enabled: boolean;
  /** The zone day and month windows follow. */
  timeZone: string;
  thresholds: number[];
  /** A raise in force or expired (ignored once `until` has passed); null when none was ever set. */
  raise: PolicyRaise | null;
  createdAt: string;
  updatedAt: string;
};
