import Link from "next/link";
import { notFound } from "next/navigation";
import { Badge } from "@/components/ui/badge";
import { Card, PageHeader } from "@/components/ui/card";
import { formatDateTime } from "@/components/ui/format";
import { Table, Td, Th } from "@/components/ui/table";
import { formatCount, formatPercent } from "@/components/usage/format";
import { OverviewKpis } from "@/components/usage/overview-kpis";
import { SloCard } from "@/components/observability/slo-card";
import { hasRole, requireRole, userWorkspace } from "@/lib/auth";
import { experimentResults, listExperiments } from "@/lib/experiments";
import { listQuotaAlerts, quotaOverview } from "@/lib/quota";
import { ALL_WORKSPACES, usageScope, type UsageScope } from "@/lib/usage";
import { parseView } from "@/lib/usage/schemas";
import { overview } from "./overview-data";

export const metadata = { title: "Overview" };

const link = "text-sm text-indigo-700 underline dark:text-indigo-300";

// Crossed thresholds (budget alerts, recorded once per window) and the keys near a limit right now.
async function quotaAlerts(workspaceId: string, all: boolean) {
  try {
    const [q, crossed] = await Promise.all([quotaOverview(workspaceId), listQuotaAlerts({ workspaceId, all }, 8)]);
    return { configured: q.policies.length > 0 || crossed.length > 0, crossed, hot: q.keys.filter((k) => !k.key.revoked && k.worst >= 0.8).sort((a, b) => b.worst - a.worst) };
  } catch {
    return null;
  }
}

// The leader is the variant most likely to be best on the primary metric (the experiment's own statistics).
async function runningExperiments(workspaceId: string) {
  try {
    const running = (await listExperiments(workspaceId, { status: "running" })).slice(0, 5);
    return await Promise.all(
      running.map(async (e) => {
        const r = await experimentResults(workspaceId, e.id).catch(() => null);
        const best = r ? Object.entries(r.primary.probabilityBest).sort((a, b) => b[1] - a[1])[0] : undefined;
        return { id: e.id, name: e.name, prompt: e.promptName, requests: e.requests, leader: best ? { name: best[0], probability: best[1] } : null };
      }),
    );
  } catch {
    return null;
  }
}

/** The usage the page shows: the current workspace, or another or all of them when an instance admin asks (`?workspace=`); 404 for anyone else. */
async function scopeOf(user: Awaited<ReturnType<typeof requireRole>>, asked: string | undefined): Promise<UsageScope> {
  try {
    return await usageScope({ kind: "user", user }, asked);
  } catch (err) {
    if ((err as { status?: number }).status === 404) notFound();
    throw err;
  }
}

/** Instance admins only: whether the KPI cards and the account counts cover this workspace or all of them. */
function ScopeToggle({ all, here, workspaceName }: { all: boolean; here: boolean; workspaceName: string }) {
  const item = (active: boolean) =>
    `px-3 py-1.5 text-sm font-medium ${active ? "bg-indigo-600 text-white" : "bg-white text-slate-800 hover:bg-slate-100 dark:bg-slate-800 dark:text-slate-100 dark:hover:bg-slate-700"}`;
  return (
    <nav aria-label="Usage shown" className="inline-flex overflow-hidden rounded-md border border-slate-300 dark:border-slate-600" data-testid="overview-scope">
      <Link href="/" aria-current={here ? "page" : undefined} className={item(here)}>This workspace ({workspaceName})</Link>
      <Link href={`/?workspace=${ALL_WORKSPACES}`} aria-current={all ? "page" : undefined} className={item(all)}>All workspaces</Link>
    </nav>
  );
}

export default async function OverviewPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requireRole("viewer", "page");
  const isAdmin = hasRole(user.role, "admin");
  const scope = await scopeOf(user, parseView(await searchParams).workspace);
  const all = scope === ALL_WORKSPACES;
  const [o, quotas, experiments] = await Promise.all([
    overview({ workspaceId: userWorkspace(user), instance: user.instanceAdmin === true, usage: scope }),
    quotaAlerts(userWorkspace(user), user.instanceAdmin === true),
    runningExperiments(userWorkspace(user)),
  ]);
  const t = o.traffic;
  return (
    <>
      <PageHeader
        title="Overview"
        description={`Welcome back, ${user.name}. The last 24 hours${all ? " across all workspaces" : ""}, compared with the 24 hours before.`}
        actions={user.instanceAdmin ? <ScopeToggle all={all} here={scope === userWorkspace(user)} workspaceName={user.workspace?.name ?? "Default"} /> : undefined}
      />
      {t.current.requests === 0 && t.previous.requests === 0 ? (
        <Card>
          <p className="text-sm text-slate-600 dark:text-slate-400">
            No traffic in the last 48 hours. Point an OpenAI client at <code className="font-mono">/api/v1</code> with an API key and the figures appear here.
          </p>
        </Card>
      ) : (
        <OverviewKpis traffic={t} />
      )}
      <div className="mt-6">
        <SloCard />
      </div>
      <div className="mt-6 grid gap-4 lg:grid-cols-2">
        <Card title={all ? "Accounts, last 24 h, all workspaces" : "Accounts, last 24 h"} actions={<Link href="/accounts" className={link}>All accounts</Link>}>
          {o.accounts.length === 0 ? (
            <p className="text-sm text-slate-600 dark:text-slate-400">No provider accounts yet.</p>
          ) : (
            <Table caption="Accounts with their request and error counts over the last 24 hours">
              <thead className="bg-slate-50 dark:bg-slate-800/50">
                <tr>
                  <Th>Account</Th>
                  <Th>State</Th>
                  <Th className="text-right">Requests</Th>
                  <Th className="text-right">Failed calls</Th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
                {o.accounts.map((a) => (
                  <tr key={a.id} data-testid={`overview-account-${a.name}`}>
                    <Td className="font-medium">{a.name} <span className="text-xs text-slate-600 dark:text-slate-400">{a.provider}</span></Td>
                    <Td><Badge tone={a.enabled ? "green" : "gray"}>{a.enabled ? "enabled" : "disabled"}</Badge></Td>
                    <Td className="text-right tabular-nums">{formatCount(a.requests)}</Td>
                    <Td className="text-right tabular-nums">
                      {a.errorRate === null ? "—" : <Badge tone={a.errorRate >= 0.05 ? "red" : a.errorRate >= 0.01 ? "amber" : "green"}>{formatPercent(a.errorRate)}</Badge>}
                    </Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
          <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">
            Failed calls: every call that did not end ok, also those the upstream refused as a bad request. The account&apos;s own health on
            the Accounts page counts only the account&apos;s failures (errors, timeouts, rate limits).
          </p>
          {o.unrouted.requests > 0 && (
            <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">{formatCount(o.unrouted.requests)} calls were rejected before reaching an account.</p>
          )}
        </Card>
        <Card title="Quota alerts" actions={<Link href="/quotas" className={link}>Quotas</Link>}>
          {quotas === null ? (
            <p className="text-sm text-slate-600 dark:text-slate-400">Quota status is unavailable right now.</p>
          ) : !quotas.configured ? (
            <p className="text-sm text-slate-600 dark:text-slate-400">Quotas not configured.</p>
          ) : (
            <>
              {quotas.crossed.length > 0 && (
                <ul className="mb-3 space-y-1 text-sm" data-testid="quota-crossings">
                  {quotas.crossed.map((a) => (
                    <li key={a.id} className="flex items-center justify-between gap-2">
                      <span>
                        {user.instanceAdmin === true && a.workspace.slug ? <code className="mr-1 font-mono text-xs">{a.workspace.slug}</code> : null}
                        {a.policy.name}: {a.metric === "spend_usd" ? "spend" : "tokens"} per {a.period}{" "}
                        {a.kind === "exhausted" ? "exhausted" : `crossed ${a.threshold}%`}
                        <span className="ml-1 text-xs text-slate-600 dark:text-slate-400">{formatDateTime(a.crossedAt)}</span>
                      </span>
                      <Badge tone={a.kind === "exhausted" || a.threshold >= 100 ? "red" : "amber"}>{a.kind === "exhausted" ? "exhausted" : `${a.threshold}%`}</Badge>
                    </li>
                  ))}
                </ul>
              )}
              {quotas.hot.length === 0 ? (
                <p className="text-sm text-slate-600 dark:text-slate-400">No key is above 80% of a limit.</p>
              ) : (
            <ul className="space-y-1 text-sm" data-testid="quota-alerts">
              {quotas.hot.slice(0, 8).map((k) => (
                <li key={k.key.id} className="flex items-center justify-between gap-2">
                  <span>{k.key.name} <code className="font-mono text-xs">{k.key.prefix}…</code></span>
                  <Badge tone={k.worst >= 1 ? "red" : "amber"}>{Number.isFinite(k.worst) ? formatPercent(k.worst) : "over"}</Badge>
                </li>
              ))}
            </ul>
              )}
            </>
          )}
        </Card>
        <Card title="Running experiments" actions={<Link href="/experiments" className={link}>Experiments</Link>}>
          {experiments === null ? (
            <p className="text-sm text-slate-600 dark:text-slate-400">Experiments are unavailable right now.</p>
          ) : experiments.length === 0 ? (
            <p className="text-sm text-slate-600 dark:text-slate-400">No experiment is running.</p>
          ) : (
            <ul className="divide-y divide-slate-100 text-sm dark:divide-slate-800" data-testid="running-experiments">
              {experiments.map((e) => (
                <li key={e.id} className="flex flex-wrap items-baseline justify-between gap-2 py-1.5">
                  <Link href={`/experiments/${e.id}`} className={link}>{e.name}</Link>
                  <span className="text-xs text-slate-600 dark:text-slate-400">
                    {e.prompt} · {formatCount(e.requests)} requests ·{" "}
                    {e.leader ? `leading: ${e.leader.name} (${formatPercent(e.leader.probability)} likely best)` : "no leader yet"}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </Card>
        {isAdmin && (
          <Card title="Recent audit entries" actions={<Link href="/audit" className={link}>Audit log</Link>}>
            {o.audit.length === 0 ? (
              <p className="text-sm text-slate-600 dark:text-slate-400">Nothing recorded yet.</p>
            ) : (
              <ul className="divide-y divide-slate-100 text-sm dark:divide-slate-800" data-testid="recent-audit">
                {o.audit.map((a) => (
                  <li key={a.id} className="flex flex-wrap items-baseline justify-between gap-2 py-1.5">
                    <span><code className="font-mono text-xs">{a.action}</code> by {a.actor}</span>
                    <span className="text-xs text-slate-600 dark:text-slate-400">{formatDateTime(a.at)}</span>
                  </li>
                ))}
              </ul>
            )}
          </Card>
        )}
      </div>
      <p className="mt-6 text-sm"><Link href={all ? `/usage?range=24h&workspace=${ALL_WORKSPACES}` : "/usage"} className={link}>Open usage analytics</Link></p>
    </>
  );
}
