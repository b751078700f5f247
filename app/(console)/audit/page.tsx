import Link from "next/link";
import { z } from "zod";
import { Button } from "@/components/ui/button";
import { Card, EmptyState, PageHeader } from "@/components/ui/card";
import { formatDateTime } from "@/components/ui/format";
import { Table, Td, Th } from "@/components/ui/table";
import { listAudit, listAuditActions } from "@/lib/audit";
import { requireRole, userWorkspace } from "@/lib/auth";

export const metadata = { title: "Audit log" };

const filters = z.object({
  actor: z.string().trim().max(200).optional().catch(undefined),
  action: z.string().trim().max(100).optional().catch(undefined),
  from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional().catch(undefined),
  to: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(100_000).optional().catch(undefined),
});

const input = "rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm dark:border-slate-600 dark:bg-slate-900";

export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const me = await requireRole("admin", "page");
  const scope = { workspaceId: userWorkspace(me), instance: me.instanceAdmin === true };
  const f = filters.parse(await searchParams);
  const toExclusive = f.to ? new Date(new Date(`${f.to}T00:00:00Z`).getTime() + 86_400_000) : undefined;
  const [result, actions] = await Promise.all([
    listAudit({ ...scope, actor: f.actor || undefined, action: f.action || undefined, from: f.from ? new Date(`${f.from}T00:00:00Z`) : undefined, to: toExclusive, page: f.page }),
    listAuditActions(scope),
  ]);
  const pageHref = (page: number) => {
    const q = new URLSearchParams(Object.entries({ ...f, page: String(page) }).filter(([, v]) => v) as [string, string][]);
    return `/audit?${q}`;
  };

  return (
    <>
      <PageHeader title="Audit log" description="Every change made in the console or the management API, newest first." />
      <Card className="mb-4">
        <form method="get" className="flex flex-wrap items-end gap-3" aria-label="Filter audit log">
          <label className="text-sm">
            <span className="mb-1 block font-medium">Actor</span>
            <input name="actor" defaultValue={f.actor} placeholder="email contains…" className={input} />
          </label>
          <label className="text-sm">
            <span className="mb-1 block font-medium">Action</span>
            <select name="action" defaultValue={f.action ?? ""} className={input}>
              <option value="">Any</option>
              {actions.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </label>
          <label className="text-sm">
            <span className="mb-1 block font-medium">From (UTC)</span>
            <input type="date" name="from" defaultValue={f.from} className={input} />
          </label>
          <label className="text-sm">
            <span className="mb-1 block font-medium">To (UTC)</span>
            <input type="date" name="to" defaultValue={f.to} className={input} />
          </label>
          <Button type="submit">Filter</Button>
          <Link href="/audit" className="text-sm text-indigo-700 underline dark:text-indigo-300">
            Clear
          </Link>
        </form>
      </Card>
      {result.rows.length === 0 ? (
        <EmptyState title="No audit entries match">Try widening the filters.</EmptyState>
      ) : (
        <Table caption="Audit log entries">
          <thead className="bg-slate-50 dark:bg-slate-800/50">
            <tr>
              <Th>Time</Th>
              <Th>Actor</Th>
              <Th>Action</Th>
              <Th>Target</Th>
              <Th>Change</Th>
              <Th>IP</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {result.rows.map((r) => (
              <tr key={r.id} data-testid="audit-row">
                <Td>{formatDateTime(r.createdAt)}</Td>
                <Td>{r.actorEmail ?? "—"}</Td>
                <Td>
                  <code className="font-mono text-xs">{r.action}</code>
                </Td>
                <Td>
                  {r.targetType}
                  {r.targetId ? <span className="ml-1 font-mono text-xs text-slate-600 dark:text-slate-400">{r.targetId.slice(0, 8)}</span> : null}
                </Td>
                <Td className="max-w-md truncate font-mono text-xs" >
                  <span title={JSON.stringify({ before: r.before, after: r.after })}>{JSON.stringify(r.after ?? r.before ?? {})}</span>
                </Td>
                <Td>{r.ip ?? "—"}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      <nav aria-label="Audit pages" className="mt-4 flex items-center justify-between text-sm">
        <span>
          Page {result.page} of {result.pages} · {result.total} entries
        </span>
        <span className="flex gap-3">
          {result.page > 1 && <Link className="text-indigo-700 underline dark:text-indigo-300" href={pageHref(result.page - 1)}>Previous</Link>}
          {result.page < result.pages && <Link className="text-indigo-700 underline dark:text-indigo-300" href={pageHref(result.page + 1)}>Next</Link>}
        </span>
      </nav>
    </>
  );
}
