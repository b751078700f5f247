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
  policyId: string; subject: string; period: "minute" | "day" | "month"; windowStart: Date; windowEnd: Date;
  usedRequests: number | null; reservedRequests: number | null; usedTokens: string | null; reservedTokens: string | null;
  usedSpendUsd: string | null; reservedSpendUsd: string | null;
};

// Each pair's current windows, taken in the policy's time zone like admission takes them (quota_window_start).
const STATUS_SQL = `
SELECT c.p AS "policyId", c.s AS "subject", w.period, w.start AS "windowStart", quota_window_end(w.period, w.start, c.tz) AS "windowEnd",
       k."usedRequests", k."reservedRequests", k."usedTokens", k."reservedTokens", k."usedSpendUsd", k."reservedSpendUsd"
FROM unnest($1::uuid[], $2::text[], $3::text[]) AS c(p, s, tz)
CROSS JOIN LATERAL (SELECT x, quota_window_start(x, $4::timestamptz, c.tz) FROM unnest(ARRAY['minute', 'day', 'month']) AS x) AS w(period, start)
LEFT JOIN "QuotaCounter" k ON k."policyId" = c.p AND k."subject" = c.s AND k."period" = w.period::"QuotaPeriod" AND k."windowStart" = w.start`;

/** A limit as it stands at `at`: the policy's own plus a temporary raise still in force. */
export function effectiveLimit(policy: PolicyView, field: (typeof limitFields)[number]["field"], at: number): number | null {
  const base = policy[field];
  if (base == null) return null;
  const r = policy.raise;
  if (!r || Date.parse(r.until) <= at) return base;
  const extra = field === "tokensPerDay" || field === "tokensPerMonth" || field === "spendPerDayUsd" || field === "spendPerMonthUsd" ? r[field] : null;
  return base + (extra ?? 0);
}

/** What a window will have used at its end if calls keep coming at the rate seen so far in it. */
function projection(used: number, start: number, end: number, at: number): number {
  const elapsed = Math.max(at - start, 1);
  return used * Math.max(1, (end - start) / elapsed);
}

/** Current-window status of each (policy, subject) pair, in one query. */
export async function statusOf(pairs: { policy: PolicyView; subject: string }[], at: number = now()): Promise<PolicyStatus[]> {
  if (pairs.length === 0) return [];
  const { rows } = await pool().query<CounterRow>(STATUS_SQL, [
    pairs.map((p) => p.policy.id), pairs.map((p) => p.subject), pairs.map((p) => p.policy.timeZone), new Date(at),
  ]);
  const byKey = new Map(rows.map((r) => [`${r.policyId}|${r.subject}|${r.period}`, r]));
  return pairs.map(({ policy, subject }) => ({
    id: policy.id, name: policy.name, scope: policy.scope, apiKeyId: policy.apiKeyId, endUser: policy.endUser, model: policy.model, enabled: policy.enabled,
    subject,
    limits: limitFields.flatMap((l) => {
      const max = effectiveLimit(policy, l.field, at);
      if (max == null) return [];
      const r = byKey.get(`${policy.id}|${subject}|${l.period}`);
      const pick = (req: number | null | undefined, tok: string | null | undefined, usd: string | null | undefined) =>
        Number((l.metric === "requests" ? req : l.metric === "tokens" ? tok : usd) ?? 0);
      const used = pick(r?.usedRequests, r?.usedTokens, r?.usedSpendUsd);
      const reserved = pick(r?.reservedRequests, r?.reservedTokens, r?.reservedSpendUsd);
      const start = r ? r.windowStart.getTime() : windowStart(l.period, at);
      const end = r ? r.windowEnd.getTime() : windowEnd(l.period, at);
      const round = (n: number) => (l.metric === "spend" ? Math.round(n * 1e8) / 1e8 : Math.round(n));
      const status: LimitStatus = {
        limit: l.name, period: l.period, metric: l.metric, max, used, reserved,
        remaining: Math.max(0, l.metric === "spend" ? Math.round((max - used - reserved) * 1e8) / 1e8 : max - used - reserved),
        windowStart: new Date(start).toISOString(), resetsAt: new Date(end).toISOString(),
        projected: round(projection(used, start, end, at)),
      };
      return [status];
    }),
  }));
}

/** Which counter of a policy a key (and optionally an end user) uses, ignoring the model: model policies apply to the key's calls of that model. */
function subjectForKey(p: PolicyView, apiKeyId: string, user: string | undefined): string | null {
  if (p.scope === "workspace") return p.workspaceId;
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
  keys: KeyQuotaOverview[]; models: PolicyStatus[]; workspace: PolicyStatus[]; policies: PolicyView[]; keyOptions: { id: string; name: string; prefix: string }[];
}> {
  const [policies, keys] = await Promise.all([listPolicies(workspaceId), keyList(workspaceId)]);
  const enabled = policies.filter((p) => p.enabled);
  const pairs: { policy: PolicyView; subject: string; keyId: string | null }[] = [];
  for (const policy of enabled) {
    if (policy.scope === "workspace") pairs.push({ policy, subject: policy.workspaceId, keyId: "workspace" });
    else if (policy.scope === "model") pairs.push({ policy, subject: "", keyId: null });
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
  const workspace: PolicyStatus[] = [];
  statuses.forEach((s, i) => {
    const keyId = pairs[i]!.keyId;
    if (keyId === null) return void models.push(s);
    if (keyId === "workspace") return void workspace.push(s);
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
  return { keys: out, models, workspace, policies, keyOptions };
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
