import "server-only";
import { listAccounts } from "@/lib/accounts";
import { listAudit } from "@/lib/audit";
import { accountTotals, NIL_UUID, usageDashboard, type UsageScope } from "@/lib/usage";

// The console home's read model (a view over accounts, usage and audit, so it
// lives with the console, above the domains): the last 24 hours of traffic (hourly, for sparklines),
// each account's request and error counts from the rollups, and recent audit
// entries. Self-contained: the full account health view lives on /accounts.
// `usage` (from usageScope) is the current workspace, or all of them for an
// instance admin who asked: it scopes the KPIs and the accounts' counts alike.

export async function overview(scope: { workspaceId: string; instance: boolean; usage: UsageScope }, now = Date.now()) {
  const day = { from: new Date(now - 86_400_000), to: new Date(now), bucket: "hour" as const };
  const [traffic, perAccount, accounts, audit] = await Promise.all([
    usageDashboard(scope.usage, { range: "24h", by: "model", filters: {} }, now),
    accountTotals(day, scope.usage),
    listAccounts(),
    listAudit({ workspaceId: scope.workspaceId, instance: scope.instance, pageSize: 8 }),
  ]);
  const health = accounts.map((a) => {
    const t = perAccount.get(a.id) ?? { requests: 0, errors: 0 };
    return { id: a.id, name: a.name, provider: a.provider, enabled: a.enabled, requests: t.requests, errors: t.errors, errorRate: t.requests ? t.errors / t.requests : null };
  });
  const unattributed = perAccount.get(NIL_UUID);
  return {
    traffic,
    accounts: health,
    /** Calls that never reached an account (rejected before routing). */
    unrouted: unattributed ?? { requests: 0, errors: 0 },
    audit: audit.rows.map((r) => ({ id: r.id, at: r.createdAt, actor: r.actorEmail ?? "system", action: r.action, targetType: r.targetType, targetId: r.targetId })),
  };
}
export type Overview = Awaited<ReturnType<typeof overview>>;
