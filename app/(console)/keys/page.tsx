import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { Card, EmptyState, PageHeader } from "@/components/ui/card";
import { formatDateTime } from "@/components/ui/format";
import { Table, Td, Th } from "@/components/ui/table";
import { CreateKeyForm } from "@/components/keys/create-key-form";
import { RevokeKeyButton } from "@/components/keys/revoke-key-button";
import { KeyPolicies } from "@/components/quotas/key-policies";
import { keyStatus, listApiKeys, requireRole, userWorkspace } from "@/lib/auth";
import { policiesForKeys } from "@/lib/quota";

export const metadata = { title: "API keys" };

const tone = { active: "green", revoked: "red", expired: "amber" } as const;

export default async function KeysPage() {
  const me = await requireRole("admin", "page");
  const [keys, quotas] = await Promise.all([listApiKeys(userWorkspace(me)), policiesForKeys(userWorkspace(me))]);
  return (
    <>
      <PageHeader title="API keys" description="Keys that apps use to call the gateway. A key is shown once, when it is created." />
      <Card title="Create a key" className="mb-6">
        <CreateKeyForm />
      </Card>
      {keys.length === 0 ? (
        <EmptyState title="No API keys yet">Create one above to call the gateway.</EmptyState>
      ) : (
        <Table caption="API keys">
          <thead className="bg-slate-50 dark:bg-slate-800/50">
            <tr>
              <Th>Name</Th>
              <Th>Prefix</Th>
              <Th>Scopes</Th>
              <Th>Last used</Th>
              <Th>Expires</Th>
              <Th>Status</Th>
              <Th>Quotas</Th>
              <Th>Created by</Th>
              <Th className="text-right">Actions</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {keys.map((k) => {
              const status = keyStatus(k);
              return (
                <tr key={k.id} data-testid={`key-row-${k.name}`}>
                  <Td className="font-medium">{k.name}</Td>
                  <Td>
                    <code className="font-mono text-xs">{k.prefix}…</code>
                  </Td>
                  <Td>
                    <div className="flex flex-wrap gap-1">
                      {k.scopes.length ? k.scopes.map((s) => <Badge key={s}>{s}</Badge>) : <span className="text-slate-600 dark:text-slate-400">none</span>}
                    </div>
                  </Td>
                  <Td>{formatDateTime(k.lastUsedAt)}</Td>
                  <Td>{k.expiresAt ? formatDateTime(k.expiresAt) : "never"}</Td>
                  <Td>
                    <Badge tone={tone[status]}>{status}</Badge>
                  </Td>
                  <td className="px-3 py-2 align-middle">
                    <KeyPolicies keyId={k.id} policies={quotas.get(k.id) ?? []} />
                  </td>
                  <Td>{k.createdBy?.email ?? "—"}</Td>
                  <Td className="text-right">
                    <span className="inline-flex items-center gap-2">
                      <Link href={`/keys/${k.id}`} className="text-sm text-indigo-700 underline dark:text-indigo-300">
                        Security<span className="sr-only"> settings for {k.name}</span>
                      </Link>
                      {status === "active" && <RevokeKeyButton id={k.id} name={k.name} />}
                    </span>
                  </Td>
                </tr>
              );
            })}
          </tbody>
        </Table>
      )}
    </>
  );
}
