import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { Card, EmptyState, PageHeader } from "@/components/ui/card";
import { Table, Th } from "@/components/ui/table";
import { PolicyForm } from "@/components/quotas/policy-form";
import { PolicyRow } from "@/components/quotas/policy-row";
import { BudgetAdmin } from "@/components/quotas/budget-admin";
import { LimitBar } from "@/components/quotas/usage-bars";
import { level, type KeyOption } from "@/components/quotas/quota-values";
import { hasRole, requireRole, userWorkspace } from "@/lib/auth";
import { quotaOverview, type PolicyStatus } from "@/lib/quota";

export const metadata = { title: "Quotas" };

function PolicyBars({ statuses }: { statuses: PolicyStatus[] }) {
  return (
    <div className="grid gap-4 md:grid-cols-2">
      {statuses.map((s) => (
        <div key={`${s.id}-${s.subject}`} className="space-y-2">
          <h4 className="text-sm font-medium">{s.name}</h4>
          {s.limits.map((l) => (
            <LimitBar key={l.limit} status={l} />
          ))}
        </div>
      ))}
    </div>
  );
}

export default async function QuotasPage({ searchParams }: { searchParams: Promise<{ key?: string }> }) {
  const me = await requireRole("viewer", "page");
  const canEdit = hasRole(me.role, "admin");
  const { key: focus } = await searchParams;
  const data = await quotaOverview(userWorkspace(me));
  const keyOptions: KeyOption[] = data.keyOptions;
  const shown = focus ? data.keys.filter((k) => k.key.id === focus) : data.keys;

  return (
    <>
      <PageHeader
        title="Quotas"
        description="Rate limits and token or spend budgets per workspace, key, end user and model. Minute windows reset each UTC minute; day and month windows at local midnight and on the local 1st in each policy's time zone (UTC unless set). The dashed mark is where a window ends at the rate seen so far."
      />

      {data.workspace.length > 0 && !focus && (
        <section aria-labelledby="workspace-heading" className="mb-8">
          <h2 id="workspace-heading" className="mb-3 text-lg font-semibold">
            Workspace budgets
          </h2>
          <div data-testid="quota-workspace">
            <Card>
              <PolicyBars statuses={data.workspace} />
            </Card>
          </div>
        </section>
      )}

      <section aria-labelledby="usage-heading" className="mb-8">
        <h2 id="usage-heading" className="mb-3 text-lg font-semibold">
          Usage by key{focus && shown[0] ? `: ${shown[0].key.name}` : ""}
        </h2>
        {focus && (
          <p className="mb-3 text-sm">
            <Link href="/quotas" className="text-indigo-700 underline dark:text-indigo-300">
              Show every key
            </Link>
          </p>
        )}
        {shown.length === 0 ? (
          <EmptyState title={focus ? "No policy applies to this key" : "No key has a quota yet"}>
            {canEdit ? "Create a policy below to limit a key, its end users or a model." : "An admin can create policies."}
          </EmptyState>
        ) : (
          <div className="space-y-4">
            {shown.map((k) => {
              const levels = k.policies.flatMap((p) => p.limits.map(level));
              const worst = levels.includes("over") ? "over" : levels.includes("near") ? "near" : "ok";
              return (
                <Card key={k.key.id} className={worst === "over" ? "border-red-400 dark:border-red-700" : worst === "near" ? "border-amber-400 dark:border-amber-700" : ""}>
                  <div className="mb-3 flex flex-wrap items-center gap-2" data-testid={`quota-key-${k.key.name}`}>
                    <h3 className="text-base font-semibold">{k.key.name}</h3>
                    <code className="font-mono text-xs">{k.key.prefix}…</code>
                    {worst === "over" && <Badge tone="red">over a limit</Badge>}
                    {worst === "near" && <Badge tone="amber">near a limit</Badge>}
                  </div>
                  <PolicyBars statuses={k.policies} />
                </Card>
              );
            })}
          </div>
        )}
        {data.models.length > 0 && !focus && (
          <Card title="Model-wide policies (all keys together)" className="mt-4">
            <PolicyBars statuses={data.models} />
          </Card>
        )}
      </section>

      <section aria-labelledby="policies-heading">
        <h2 id="policies-heading" className="mb-3 text-lg font-semibold">
          Policies
        </h2>
        {!canEdit && <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">Read-only: only admins can change policies.</p>}
        {data.policies.length === 0 ? (
          <EmptyState title="No quota policies">No limits are enforced.</EmptyState>
        ) : (
          <Table caption="Quota policies">
            <thead className="bg-slate-50 dark:bg-slate-800/50">
              <tr>
                <Th>Policy</Th>
                <Th>Scope</Th>
                <Th>Applies to</Th>
                <Th>Limits</Th>
                {canEdit && <Th className="text-right">Actions</Th>}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {data.policies.map((p) => (
                <PolicyRow key={p.id} policy={p} keys={keyOptions} canEdit={canEdit} />
              ))}
            </tbody>
          </Table>
        )}
        {me.instanceAdmin === true && data.policies.some((p) => p.tokensPerDay ?? p.tokensPerMonth ?? p.spendPerDayUsd ?? p.spendPerMonthUsd) && (
          <Card title="Raise or reset a budget (instance admins)" className="mt-6">
            <div className="space-y-6">
              {data.policies.map((p) => (
                <div key={p.id}>
                  <h3 className="mb-2 text-sm font-semibold">{p.name}</h3>
                  <BudgetAdmin policy={p} />
                </div>
              ))}
            </div>
          </Card>
        )}
        {canEdit && (
          <Card title="Create a policy" className="mt-6">
            <PolicyForm keys={keyOptions} />
          </Card>
        )}
      </section>
    </>
  );
}
