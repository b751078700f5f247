import "server-only";
import { db } from "@/lib/db";

// The budget lines crossed (QuotaAlert rows, written by settlement and refusals in plpgsql together
// with their outbox events): what the Overview's "Quota alerts" card lists.

export type QuotaAlertView = {
  id: string;
  kind: "threshold" | "exhausted";
  threshold: number;
  metric: "tokens" | "spend_usd";
  period: "day" | "month";
  used: number;
  limit: number;
  windowStart: string;
  crossedAt: string;
  subject: string;
  policy: { id: string; name: string; scope: string };
  workspace: { id: string; slug: string | null; name: string | null };
};

/** The latest crossings of one workspace, or of every workspace (`all`, for instance admins). */
export async function listQuotaAlerts(scope: { workspaceId: string; all?: boolean }, take = 20): Promise<QuotaAlertView[]> {
  const rows = await db.quotaAlert.findMany({
    where: scope.all ? {} : { workspaceId: scope.workspaceId },
    orderBy: { createdAt: "desc" },
    take,
    include: { policy: { select: { id: true, name: true, scope: true } } },
  });
  const workspaces = await db.workspace.findMany({ where: { id: { in: [...new Set(rows.map((r) => r.workspaceId))] } }, select: { id: true, slug: true, name: true } });
  const ws = new Map(workspaces.map((w) => [w.id, w]));
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind === "exhausted" ? "exhausted" : "threshold",
    threshold: r.threshold,
    metric: r.metric === "spend_usd" ? "spend_usd" : "tokens",
    period: r.period === "month" ? "month" : "day",
    used: Number(r.used),
    limit: Number(r.limit),
    windowStart: r.windowStart.toISOString(),
    crossedAt: r.createdAt.toISOString(),
    subject: r.subject,
    policy: { id: r.policy.id, name: r.policy.name, scope: r.policy.scope },
    workspace: { id: r.workspaceId, slug: ws.get(r.workspaceId)?.slug ?? null, name: ws.get(r.workspaceId)?.name ?? null },
  }));
}
