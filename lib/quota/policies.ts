import "server-only";
import { config } from "@/lib/config";
import { db, isUuid, onInvalidate, publishInvalidation, type DbClient } from "@/lib/db";
import type { QuotaPolicy } from "@/lib/db";
import { withAudit } from "@/lib/audit";
import { AppError, notFound } from "@/lib/core";
import { logger } from "@/lib/observability";
import { workspaceOf, type Principal } from "@/lib/core";
import { createQuotaPolicyInput, mergedPolicyCheck, updateQuotaPolicyInput, type PolicyView } from "./schemas";
import type { CachedPolicy } from "./windows";

// Policies: CRUD (audited) and the per-instance cache admission reads, so that
// admit() spends its one round trip on reserving and none on looking policies
// up. A change is published over LISTEN/NOTIFY and drops every instance's
// cache at once; a background reload every REFRESH_MS is the backstop for a
// lost notification. The reserve statement re-reads limits and `enabled` from
// the table itself, so a stale cache can only miss a brand-new policy briefly.
// While the database cannot be reached the snapshot keeps serving (a failed
// reload trusts it for another REFRESH_MS), so a key without a policy is still
// admitted without the database; after a LISTEN reconnect ("*") it is
// reloaded in the background, never dropped (faults #14.3).

const REFRESH_MS = () => config().QUOTA_POLICY_REFRESH_MS;
const TOPIC = "quotas";

export function toView(p: QuotaPolicy): PolicyView {
  return {
    id: p.id, name: p.name, workspaceId: p.workspaceId, scope: p.scope, apiKeyId: p.apiKeyId, endUser: p.endUser, model: p.model,
    requestsPerMinute: p.requestsPerMinute, tokensPerMinute: p.tokensPerMinute, tokensPerDay: p.tokensPerDay, tokensPerMonth: p.tokensPerMonth,
    spendPerDayUsd: p.spendPerDayUsd === null ? null : Number(p.spendPerDayUsd),
    spendPerMonthUsd: p.spendPerMonthUsd === null ? null : Number(p.spendPerMonthUsd),
    defaultMaxTokens: p.defaultMaxTokens, requireMaxTokens: p.requireMaxTokens, enabled: p.enabled,
    timeZone: p.timeZone, thresholds: p.thresholds,
    raise: p.raiseUntil === null ? null : {
      tokensPerDay: p.raiseTokensPerDay, tokensPerMonth: p.raiseTokensPerMonth,
      spendPerDayUsd: p.raiseSpendPerDayUsd === null ? null : Number(p.raiseSpendPerDayUsd),
      spendPerMonthUsd: p.raiseSpendPerMonthUsd === null ? null : Number(p.raiseSpendPerMonthUsd),
      until: p.raiseUntil.toISOString(), reason: p.raiseReason ?? "",
    },
    createdAt: p.createdAt.toISOString(), updatedAt: p.updatedAt.toISOString(),
  };
}

// ---- cache ------------------------------------------------------------------

type Snapshot = { at: number; policies: CachedPolicy[] };
type CacheState = { snap?: Snapshot; loading?: Promise<Snapshot>; version: number; subscribed: boolean };
const g = globalThis as typeof globalThis & { __pgQuotaPolicies?: CacheState };
const cache: CacheState = (g.__pgQuotaPolicies ??= { version: 0, subscribed: false });

async function load(): Promise<Snapshot> {
  const version = cache.version;
  const rows = await db.quotaPolicy.findMany({ where: { enabled: true }, orderBy: { id: "asc" } });
  const snap = { at: Date.now(), policies: rows.map(toView) };
  // A change published while we were loading makes this result stale: use it once, do not keep it.
  if (version === cache.version) cache.snap = snap;
  return snap;
}

function reload(): Promise<Snapshot> {
  cache.loading ??= load().finally(() => {
    cache.loading = undefined;
  });
  return cache.loading;
}

function dropCache(): void {
  cache.version++;
  cache.snap = undefined;
}

function subscribe(): void {
  if (cache.subscribed) return;
  cache.subscribed = true;
  onInvalidate(TOPIC, (payload) => {
    if (payload !== "*") return dropCache();
    // Notifications may have been missed while LISTEN was down: reload, serving the snapshot meanwhile.
    cache.version++;
    if (cache.snap) cache.snap.at = 0;
  });
}

/** The snapshot in memory, refreshed in the background when due; undefined before the first load. */
export function policiesInMemory(): CachedPolicy[] | undefined {
  subscribe();
  const snap = cache.snap;
  if (snap && Date.now() - snap.at > REFRESH_MS()) {
    reload().catch((err: unknown) => {
      // Stale-if-error: trusted for another REFRESH_MS, so a database outage does not start a read per call.
      if (cache.snap === snap) snap.at = Date.now();
      logger.warn({ err }, "quota policy refresh failed; serving the cached policies");
    });
  }
  return snap?.policies;
}

/** The enabled policies, from memory (loaded on first use). */
export async function enabledPolicies(): Promise<CachedPolicy[]> {
  return policiesInMemory() ?? (await reload()).policies;
}

/** After a committed change: this instance forgets now, the others when the notification arrives. */
export async function invalidatePolicies(): Promise<void> {
  dropCache();
  await publishInvalidation(TOPIC).catch((err: unknown) => logger.warn({ err }, "could not publish quota policy change"));
}

// ---- CRUD -------------------------------------------------------------------

/** A workspace's policies. */
export async function listPolicies(workspaceId: string, client: DbClient = db): Promise<PolicyView[]> {
  const rows = await client.quotaPolicy.findMany({ where: { workspaceId }, orderBy: [{ scope: "asc" }, { name: "asc" }] });
  return rows.map(toView);
}

/** One policy of the workspace; another workspace's id is not found. */
export async function getPolicy(workspaceId: string, id: string): Promise<PolicyView> {
  const p = isUuid(id) ? await db.quotaPolicy.findFirst({ where: { id, workspaceId } }) : null;
  if (!p) throw notFound("Quota policy");
  return toView(p);
}

/** A policy may name only a key of its own workspace (another workspace's key id is not found). */
async function assertKeyInWorkspace(tx: DbClient, workspaceId: string, apiKeyId: string | null | undefined): Promise<void> {
  if (!apiKeyId) return;
  if (!(await tx.apiKey.count({ where: { id: apiKeyId, workspaceId } }))) throw new AppError("not_found", "API key not found", { param: "apiKeyId" });
}

export async function createPolicy(actor: Principal, input: unknown, ip?: string | null): Promise<PolicyView> {
  const data = createQuotaPolicyInput.parse(input);
  const workspaceId = workspaceOf(actor);
  const view = await withAudit(actor, { action: "quota.create", targetType: "quotaPolicy", ip }, async (tx) => {
    await assertKeyInWorkspace(tx, workspaceId, data.apiKeyId);
    const row = toView(await tx.quotaPolicy.create({ data: { ...data, workspaceId } }));
    return { result: row, targetId: row.id, after: row };
  });
  await invalidatePolicies();
  return view;
}

export async function updatePolicy(actor: Principal, id: string, input: unknown, ip?: string | null): Promise<PolicyView> {
  const patch = updateQuotaPolicyInput.parse(input);
  const view = await withAudit(actor, { action: "quota.update", targetType: "quotaPolicy", ip }, async (tx) => {
    const found = isUuid(id) ? await tx.quotaPolicy.findFirst({ where: { id, workspaceId: workspaceOf(actor) } }) : null;
    if (!found) throw notFound("Quota policy");
    await assertKeyInWorkspace(tx, found.workspaceId, patch.apiKeyId);
    const before = toView(found);
    // Scope rules span fields: check the policy as it will be, not just the patch.
    mergedPolicyCheck.parse({ ...before, ...patch });
    const after = toView(await tx.quotaPolicy.update({ where: { id }, data: patch }));
    return { result: after, targetId: id, before, after };
  });
  await invalidatePolicies();
  return view;
}

export async function deletePolicy(actor: Principal, id: string, ip?: string | null): Promise<void> {
  await withAudit(actor, { action: "quota.delete", targetType: "quotaPolicy", ip }, async (tx) => {
    const found = isUuid(id) ? await tx.quotaPolicy.findFirst({ where: { id, workspaceId: workspaceOf(actor) } }) : null;
    if (!found) throw notFound("Quota policy");
    // Counters go with it (cascade); reservations naming it settle into nothing.
    await tx.quotaPolicy.delete({ where: { id } });
    return { result: undefined, targetId: id, before: toView(found) };
  });
  await invalidatePolicies();
}
