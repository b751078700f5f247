import Link from "next/link";
import { notFound } from "next/navigation";
import { EmptyState, PageHeader } from "@/components/ui/card";
import { formatDateTime } from "@/components/ui/format";
import { Table, Td, Th } from "@/components/ui/table";
import { getApiKey, requireRole, userWorkspace } from "@/lib/auth";
import { listRequestLogs } from "@/lib/filters";

export const metadata = { title: "Request logs" };

// Admins only: even redacted, a prompt can say more than its author meant to share.
export default async function KeyLogsPage({ params }: { params: Promise<{ id: string }> }) {
  const me = await requireRole("admin", "page");
  const { id } = await params;
  const key = await getApiKey(userWorkspace(me), id);
  if (!key) notFound();
  const logs = await listRequestLogs(userWorkspace(me), id, 100);
  return (
    <>
      <p className="mb-2 text-sm">
        <Link href={`/keys/${id}`} className="text-indigo-700 underline dark:text-indigo-300">← {key.name}</Link>
      </p>
      <PageHeader title={`Request logs: ${key.name}`} description="The newest 100 redacted requests and responses still within the key's retention." />
      {logs.length === 0 ? (
        <EmptyState title="No logs">Logging is off for this key, or nothing was logged within its retention.</EmptyState>
      ) : (
        <Table caption="Request logs">
          <thead className="bg-slate-50 dark:bg-slate-800/50">
            <tr><Th>Time</Th><Th>Model</Th><Th>Status</Th><Th>Request</Th><Th>Response</Th></tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {logs.map((l) => (
              <tr key={String(l.id)} data-testid="request-log-row">
                <Td>{formatDateTime(l.createdAt)}</Td>
                <Td><code className="font-mono text-xs">{l.model}</code></Td>
                <Td>{l.status}</Td>
                <Td className="max-w-md whitespace-pre-wrap break-words font-mono text-xs">{JSON.stringify(l.request)}</Td>
                <Td className="max-w-md whitespace-pre-wrap break-words font-mono text-xs">{typeof l.response === "string" ? l.response : JSON.stringify(l.response)}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}
