import Link from "next/link";
import { notFound } from "next/navigation";
import { Card, EmptyState, PageHeader } from "@/components/ui/card";
import { Table, Td, Th } from "@/components/ui/table";
import { AddRowForm, ImportLogsForm, UploadForm } from "@/components/evals/dataset-rows-forms";
import { CompareForm } from "@/components/evals/compare-form";
import { StartRunForm } from "@/components/evals/start-run-form";
import { listAccounts } from "@/lib/accounts";
import { requireRole } from "@/lib/auth";
import { userWorkspace } from "@/lib/core";
import { getDataset, getDatasetVersion, listRuns, loggingKeys } from "@/lib/evals";
import { listPrompts } from "@/lib/prompts";

export const metadata = { title: "Dataset" };

export default async function DatasetPage({ params }: { params: Promise<{ id: string }> }) {
  const me = await requireRole("admin", "page");
  const principal = { kind: "user", user: me } as const;
  const { id } = await params;
  const dataset = await getDataset(principal, id).catch((e: unknown) => {
    const status = (e as { status?: number }).status;
    if (status === 404 || status === 400) notFound();
    throw e;
  });
  const [latest, prompts, accounts, runs, keys] = await Promise.all([
    dataset.latestVersion ? getDatasetVersion(principal, id) : null,
    listPrompts(userWorkspace(me)),
    listAccounts(),
    listRuns(principal, { datasetId: id }),
    loggingKeys(principal),
  ]);
  return (
    <>
      <p className="mb-2 text-sm"><Link href="/evaluations" className="text-indigo-700 underline dark:text-indigo-300">← Evaluations</Link></p>
      <PageHeader title={dataset.name} description={dataset.description || `${dataset.rowCount} rows in version ${dataset.latestVersion ?? "–"}; each change makes a new version.`} />
      <Card title="Upload rows" className="mb-6"><UploadForm datasetId={id} /></Card>
      <Card title="Add a row" className="mb-6"><AddRowForm datasetId={id} /></Card>
      <Card title="Import from request logs" className="mb-6"><ImportLogsForm datasetId={id} keys={keys} /></Card>
      {latest && (
        <Card title="Run an evaluation" className="mb-6">
          <StartRunForm datasetId={id} versions={dataset.versions.map((v) => v.version)} prompts={prompts.map((p) => p.name)} accounts={accounts.map((a) => ({ id: a.id, name: a.name }))} />
        </Card>
      )}
      {runs.length >= 2 && (
        <Card title="Compare two runs" className="mb-6">
          <CompareForm runs={runs.map((r) => ({ id: r.id, label: `${r.draft ? "draft" : `${r.prompt} v${r.promptVersion}`} on v${r.datasetVersion} · ${r.status} · ${r.createdAt.slice(0, 19).replace("T", " ")}` }))} />
        </Card>
      )}
      <h2 className="mb-2 text-lg font-semibold">Rows{latest ? ` (version ${latest.version})` : ""}</h2>
      {!latest ? (
        <EmptyState title="No rows yet">Upload a CSV (a header row; an <code>expected</code> column) or JSONL file.</EmptyState>
      ) : (
        <Table caption={`Rows of version ${latest.version}`}>
          <thead className="bg-slate-50 dark:bg-slate-800/50"><tr><Th>#</Th><Th>Variables</Th><Th>Expected</Th><Th>Metadata</Th></tr></thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {latest.rows.slice(0, 500).map((r, i) => (
              <tr key={i}>
                <Td>{i + 1}</Td>
                <Td><code className="text-xs">{JSON.stringify(r.variables)}</code></Td>
                <Td>{r.expected ?? "–"}</Td>
                <Td><code className="text-xs">{Object.keys(r.metadata).length ? JSON.stringify(r.metadata) : ""}</code></Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}
