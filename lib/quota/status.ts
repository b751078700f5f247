import "server-only";
import { db, isUuid, pool } from "@/lib/db";
import { isAdminPrincipal, workspaceOf, type Principal } from "@/lib/core";
import { AppError, notFound } from "@/lib/core";
import { limitFields, type LimitStatus, type PolicyView } from "./schemas";
import { listPolicies, toView } from "./policies";
import { now, windowEnd, windowStart } from "./windows";

// Read views of the counters: GET /api/quota and the console's progress bars.
// Both read the current windows straight from the database (not the admission
// cache), in one query per view.

export type PolicyStatus = Pick<PolicyView, "id" | "name" | "scope" | "apiKeyId" | "endUser" | "model" | "enabled"> & {
  subject: string;
  limits: LimitStatus[];
};

type CounterRow = {
  policyId: string; subject: string; period: string; windowStart: Date;
  usedRequests: number; reservedRequests: number; usedTokens: string; reservedTokens: string; usedSpendUsd: string; reservedSpendUsd: string;
};

/** Current-window status of each (policy, subject) pair, in one query. */
export async function statusOf(pairs: { policy: PolicyView; subject: string }[], at: number = now()): Promise<PolicyStatus[]> {
  if (pairs.length === 0) return [];
  const periods = ["minute", "day", "month"] as const;
  const keys = pairs.flatMap(({ policy, subject }) => periods.map((p) => [policy.id, subject, p, new Date(windowStart(p, at))] as const));
  const { rows } = await pool().query<CounterRow>(
    `SELECT k.* FROM "QuotaCounter" k
     JOIN unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]) AS c(p, s, w, t)
       ON k."policyId" = c.p AND k."subject" = c.s AND k."period" = c.w::"QuotaPeriod" AND k."windowStart" = c.t`,
    [keys.map((k) => k[0]), keys.map((k) => k[1]), keys.map((k) => k[2]), keys.map((k) => k[3])],
  );
  const byKey = new Map(rows.map((r) => [`${r.policyId}|${r.subject}|${r.period}`, r]));
  return pairs.map(({ policy, subject }) => ({
    id: policy.id, name: policy.name, scope: policy.scope, apiKeyId: policy.apiKeyId, endUser: policy.endUser, model: policy.model, enabled: policy.enabled,
    subject,
    limits: limitFields.flatMap((l) => {
      const max = policy[l.field];
      if (max == null) return [];
      const r = byKey.get(`${policy.id}|${subject}|${l.period}`);
      const used = !r ? 0 : l.metric === "requests" ? r.usedRequests : l.metric === "tokens" ? Number(r.usedTokens) : Number(r.usedSpendUsd);
      const reserved = !r ? 0 : l.metric === "requests" ? r.reservedRequests : l.metric === "tokens" ? Number(r.reservedTokens) : Number(r.reservedSpendUsd);
      const start = windowStart(l.period, at);
      const status: LimitStatus = {
        limit: l.name, period: l.period, metric: l.metric, max, used, reserved,
        remaining: Math.max(0, l.metric === "spend" ? Math.round((max - used - reserved) * 1e8) / 1e8 : max - used - reserved),
        windowStart: new Date(start).toISOString(), resetsAt: new Date(windowEnd(l.period, at)).toISOString(),
      };
      return [status];
    }),
  }));
}

/** Which counter of a policy a key (and optionally an end user) uses, ignoring the model: model policies apply to the key's calls of that model. */
function subjectForKey(p: PolicyView, apiKeyId: string, user: string | undefined): string | null {
  if (p.scope === "model") return "";
  if (p.apiKeyId && p.apiKeyId !== apiKeyId) return null;
  if (p.scope === "key" || p.scope === "key_model") return apiKeyId;
  if (!user || (p.endUser && p.endUser !== user)) return null;
  return `${apiKeyId}:${user}`;
}

/**
 * GET /api/quota: every enabled policy that applies to the calling key (or,
 * for admin keys and admins, the key named by `api_key_id`), with its current
 * windows. End-user policies are included when `user` is given.
 */
export async function quotaStatus(principal: Principal, q: { user?: string; api_key_id?: string }) {
  const own = principal.kind === "apiKey" ? principal.key.id : null;
  let apiKeyId = own;
  if (q.api_key_id && q.api_key_id !== own) {
    if (!isAdminPrincipal(principal)) throw new AppError("forbidden", "Only admin keys may ask about another key", { param: "api_key_id" });
    const key = isUuid(q.api_key_id) ? await db.apiKey.findFirst({ where: { id: q.api_key_id, workspaceId: workspaceOf(principal) }, select: { id: true } }) : null;
    if (!key) throw notFound("API key");
    apiKeyId = key.id;
  }
  if (!apiKeyId) throw new AppError("bad_request", "Name the key with api_key_id", { param: "api_key_id" });
  const policies = (await db.quotaPolicy.findMany({ where: { enabled: true, workspaceId: workspaceOf(principal) }, orderBy: { name: "asc" } })).map(toView);
  const pairs = policies.flatMap((policy) => {
    const subject = subjectForKey(policy, apiKeyId, q.user);
    return subject === null ? [] : [{ policy, subject }];
  });
  const statuses = await statusOf(pairs);
  return {
    object: "quota_status",
    api_key_id: apiKeyId,
    user: q.user ?? null,
    policies: statuses.map((s) => ({
      id: s.id, name: s.name, scope: s.scope, model: s.model, user: s.scope === "user" ? (q.user ?? null) : null,
      limits: s.limits.map((l) => ({
        limit: l.limit, window: l.period, max: l.max, used: l.used, reserved: l.reserved, remaining: l.remaining,
        window_start: l.windowStart, resets_at: l.resetsAt,
      })),
    })),
  };
}

export type KeyQuotaOverview = {
  key: { id: string; name: string; prefix: string; revoked: boolean };
  policies: PolicyStatus[];
  /** Highest used+reserved share of any limit (1 = at the limit). */
  worst: number;
};

// Keys are read, never written, here (lib/auth owns them); a plain read keeps the CLI free of next-auth.
const keyList = (workspaceId: string) =>
  db.apiKey.findMany({ where: { workspaceId }, select: { id: true, name: true, prefix: true, revokedAt: true }, orderBy: { createdAt: "desc" } });

const share = (l: LimitStatus) => (l.max > 0 ? (l.used + l.reserved) / l.max : l.used + l.reserved > 0 ? Infinity : 0);

/** The console's view: per key, each applicable policy's current windows; plus the model-wide policies. */
export async function quotaOverview(workspaceId: string): Promise<{
  keys: KeyQuotaOverview[]; models: PolicyStatus[]; policies: PolicyView[]; keyOptions: { id: string; name: string; prefix: string }[];
}> {
  const [policies, keys] = await Promise.all([listPolicies(workspaceId), keyList(workspaceId)]);
  const enabled = policies.filter((p) => p.enabled);
  const pairs: { policy: PolicyView; subject: string; keyId: string | null }[] = [];
  for (const policy of enabled) {
    if (policy.scope === "model") pairs.push({ policy, subject: "", keyId: null });
    else if (policy.scope === "user") {
      // "Each end user" has one counter per user; only a policy for one named user has a single bar to show.
      if (policy.apiKeyId && policy.endUser) pairs.push({ policy, subject: `${policy.apiKeyId}:${policy.endUser}`, keyId: policy.apiKeyId });
    } else {
      for (const k of keys) if (!k.revokedAt && (!policy.apiKeyId || policy.apiKeyId === k.id)) pairs.push({ policy, subject: k.id, keyId: k.id });
    }
  }
  const statuses = await statusOf(pairs);
  const byKey = new Map<string, PolicyStatus[]>();
  const models: PolicyStatus[] = [];
  statuses.forEach((s, i) => {
    const keyId = pairs[i]!.keyId;
    if (keyId === null) return void models.push(s);
    byKey.set(keyId, [...(byKey.get(keyId) ?? []), s]);
  });
  const out: KeyQuotaOverview[] = keys
    .filter((k) => byKey.has(k.id))
    .map((k) => {
      const ps = byKey.get(k.id)!;
      return {
        key: { id: k.id, name: k.name, prefix: k.prefix, revoked: k.revokedAt !== null },
        policies: ps,
        worst: Math.max(0, ...ps.flatMap((p) => p.limits.map(share))),
      };
    })
    .sort((a, b) => b.worst - a.worst || a.key.name.localeCompare(b.key.name));
  const keyOptions = keys.filter((k) => !k.revokedAt).map((k) => ({ id: k.id, name: k.name, prefix: k.prefix }));
  return { keys: out, models, policies, keyOptions };
}

/** The policies that apply to one key (the keys page). */
export async function policiesForKeys(workspaceId: string): Promise<Map<string, PolicyView[]>> {
  const [policies, keys] = await Promise.all([listPolicies(workspaceId), keyList(workspaceId)]);
  const out = new Map<string, PolicyView[]>();
  for (const k of keys) {
    out.set(k.id, policies.filter((p) => p.scope !== "model" && (!p.apiKeyId || p.apiKeyId === k.id)));
  }
  return out;
}
