import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { EmptyState, PageHeader } from "@/components/ui/card";
import { formatDateTime } from "@/components/ui/format";
import { Table, Td, Th } from "@/components/ui/table";
import { LabelBadge } from "@/components/prompts/label-badge";
import { hasRole, requireRole, userWorkspace } from "@/lib/auth";
import { listPrompts, listPromptsQuery, listTags } from "@/lib/prompts";

export const metadata = { title: "Prompts" };

const control =
  "block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100";

export default async function PromptsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const me = await requireRole("viewer", "page");
  const raw = await searchParams;
  const parsed = listPromptsQuery.safeParse({ q: raw.q, tag: raw.tag || undefined });
  const filter = parsed.success ? parsed.data : {};
  const [prompts, tags] = await Promise.all([listPrompts(userWorkspace(me), filter), listTags(userWorkspace(me))]);
  const canEdit = hasRole(me.role, "editor");
  return (
    <>
      <PageHeader
        title="Prompts"
        description="Prompt templates with immutable version history. Apps call POST /api/completion with a prompt name; the production label decides the version."
        actions={
          <div className="flex gap-2">
            <Link href="/prompts/globals" className="rounded-md border border-slate-300 bg-white px-3.5 py-2 text-sm font-medium text-slate-800 hover:bg-slate-100 dark:border-slate-600 dark:bg-slate-800 dark:text-slate-100">
              Global variables
            </Link>
            {canEdit && (
              <Link href="/prompts/new" className="rounded-md bg-indigo-600 px-3.5 py-2 text-sm font-medium text-white hover:bg-indigo-700">
                New prompt
              </Link>
            )}
          </div>
        }
      />
      <form role="search" aria-label="Search prompts" className="mb-4 grid gap-3 sm:grid-cols-[1fr_12rem_auto] sm:items-end" method="get">
        <div>
          <label htmlFor="prompt-q" className="mb-1 block text-sm font-medium text-slate-700 dark:text-slate-200">Search by name or tag</label>
          <input id="prompt-q" name="q" type="search" defaultValue={filter.q ?? ""} className={control} />
        </div>
        <div>
          <label htmlFor="prompt-tag" className="mb-1 block text-sm font-medium text-slate-700 dark:text-slate-200">Tag</label>
          <select id="prompt-tag" name="tag" defaultValue={filter.tag ?? ""} className={control}>
            <option value="">Any tag</option>
            {tags.map((t) => (
              <option key={t} value={t}>{t}</option>
            ))}
          </select>
        </div>
        <button type="submit" className="rounded-md bg-indigo-600 px-3.5 py-2 text-sm font-medium text-white hover:bg-indigo-700">Search</button>
      </form>
      {prompts.length === 0 ? (
        <EmptyState title={filter.q || filter.tag ? "No prompt matches" : "No prompts yet"}>
          {canEdit ? "Create one with “New prompt”." : "An editor can create one."}
        </EmptyState>
      ) : (
        <Table caption="Prompts">
          <thead className="bg-slate-50 dark:bg-slate-800/50">
            <tr>
              <Th>Name</Th>
              <Th>Tags</Th>
              <Th>Production</Th>
              <Th>Labels</Th>
              <Th>Versions</Th>
              <Th>Last updated</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {prompts.map((p) => (
              <tr key={p.name} data-testid={`prompt-row-${p.name}`}>
                <Td>
                  <Link href={`/prompts/${p.name}`} className="font-medium text-indigo-700 underline underline-offset-2 dark:text-indigo-300">
                    {p.name}
                  </Link>
                  {p.description && <div className="max-w-xs truncate text-xs text-slate-600 dark:text-slate-400">{p.description}</div>}
                </Td>
                <Td>
                  <div className="flex flex-wrap gap-1">{p.tags.map((t) => <Badge key={t}>{t}</Badge>)}</div>
                </Td>
                <Td>{p.productionVersion ? <span data-testid="production-version">v{p.productionVersion}</span> : <span className="text-slate-600 dark:text-slate-400">none</span>}</Td>
                <Td>
                  <div className="flex flex-wrap gap-1">
                    {p.labels.map((l) => <LabelBadge key={l.name} name={l.name} version={l.version} />)}
                  </div>
                </Td>
                <Td>{p.latestVersion ?? 0}</Td>
                <Td>{formatDateTime(p.updatedAt)}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}
