import { Card, EmptyState, PageHeader } from "@/components/ui/card";
import { Table, Th } from "@/components/ui/table";
import { AccountForm } from "@/components/accounts/account-form";
import { AccountRow } from "@/components/accounts/account-row";
import type { AccountView } from "@/components/accounts/account-values";
import { AccountHealthTable } from "@/components/accounts/health-table";
import { RoutingSettingsForm } from "@/components/accounts/routing-form";
import { accountHealthReport, getRoutingSettings, listAccounts } from "@/lib/accounts";
import { requireRole } from "@/lib/auth";

export const metadata = { title: "Accounts" };

export default async function AccountsPage() {
  const me = await requireRole("viewer", "page");
  const canEdit = me.instanceAdmin === true;
  const [rows, health, routing] = await Promise.all([listAccounts(), accountHealthReport(), getRoutingSettings()]);
  const accounts: AccountView[] = rows.map((a) => ({
    id: a.id, name: a.name, provider: a.provider, baseUrl: a.baseUrl, secretLast4: a.secretLast4, secretCleared: a.secretCleared, models: a.models,
    aliases: (a.aliases ?? {}) as Record<string, string>,
    // Settings may hold extra upstream headers (values masked by lib/accounts); only the admins who edit them need them.
    settings: canEdit ? ((a.settings ?? {}) as Record<string, unknown>) : {},
    enabled: a.enabled, weight: a.weight, priority: a.priority, firstByteTimeoutMs: a.firstByteTimeoutMs, idleTimeoutMs: a.idleTimeoutMs,
    rpmLimit: a.rpmLimit, tpmLimit: a.tpmLimit, draining: a.draining, probeMode: a.probeMode, probeIntervalSec: a.probeIntervalSec, probeModel: a.probeModel,
    modelOverrides: (a.modelOverrides ?? {}) as AccountView["modelOverrides"],
  }));
  return (
    <>
      <PageHeader
        title="Accounts"
        description="Upstream provider accounts the gateway routes to: lower priority is tried first, weight shares traffic within a priority."
      />
      {!canEdit && (
        <p className="mb-4 text-sm text-slate-600 dark:text-slate-400">Read-only: only admins can add, change or test accounts.</p>
      )}
      {accounts.length === 0 ? (
        <EmptyState title="No provider accounts yet">
          {canEdit
            ? "Add one below. The simulator needs no key and lets you try the gateway without a provider."
            : "An admin can add one."}
        </EmptyState>
      ) : (
        <>
        <AccountHealthTable initial={health} canEdit={canEdit} />
        <h2 className="mb-2 text-lg font-semibold">Configuration</h2>
        <Table caption="Provider accounts">
          <thead className="bg-slate-50 dark:bg-slate-800/50">
            <tr>
              <Th>Account</Th>
              <Th>Provider</Th>
              <Th>Models / aliases</Th>
              <Th>Key</Th>
              <Th>Routing</Th>
              <Th>
                Timeouts<span className="sr-only"> (first byte / idle)</span>
              </Th>
              {canEdit && <Th className="text-right">Actions</Th>}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {accounts.map((a) => (
              <AccountRow key={a.id} account={a} canEdit={canEdit} />
            ))}
          </tbody>
        </Table>
        </>
      )}
      <Card title="Routing" className="mt-6">
        <RoutingSettingsForm settings={routing} canEdit={canEdit} />
      </Card>
      {canEdit && (
        <Card title="Add an account" className="mt-6">
          <AccountForm />
        </Card>
      )}
    </>
  );
}
