import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { Card, EmptyState, PageHeader } from "@/components/ui/card";
import { formatDateTime } from "@/components/ui/format";
import { Table, Td, Th } from "@/components/ui/table";
import { CreateDatasetForm } from "@/components/evals/create-dataset-form";
import { requireRole } from "@/lib/auth";
import { listDatasets, listRuns } from "@/lib/evals";

export const metadata = { title: "Evaluations" };

const tone = { queued: "gray", running: "indigo", completed: "green", cancelled: "amber", failed: "red" } as const;

export default async function EvaluationsPage() {
  const me = await requireRole("admin", "page");
  const principal = { kind: "user", user: me } as const;
  const [datasets, runs] = await Promise.all([listDatasets(principal), listRuns(principal)]);
  return (
    <>
      <PageHeader title="Evaluations" description="Datasets of test cases, and runs that score a prompt version on one before it ships. Compare two runs of the same dataset version for a paired verdict." />
      <Card title="New dataset" className="mb-6">
        <CreateDatasetForm />
      </Card>
      <h2 className="mb-2 text-lg font-semibold">Datasets</h2>
      {datasets.length === 0 ? (
        <EmptyState title="No datasets yet">Create one above, then upload its rows as CSV or JSONL.</EmptyState>
      ) : (
        <Table caption="Datasets">
          <thead className="bg-slate-50 dark:bg-slate-800/50">
            <tr><Th>Name</Th><Th>Latest version</Th><Th>Rows</Th><Th>Updated</Th></tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {datasets.map((d) => (
              <tr key={d.id}>
                <Td><Link href={`/evaluations/datasets/${d.id}`} className="text-indigo-700 underline dark:text-indigo-300">{d.name}</Link></Td>
                <Td>{d.latestVersion ?? "–"}</Td>
                <Td>{d.rowCount}</Td>
                <Td>{formatDateTime(d.updatedAt)}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      <h2 className="mb-2 mt-8 text-lg font-semibold">Runs</h2>
      {runs.length === 0 ? (
        <EmptyState title="No runs yet">Start one from a dataset&apos;s page.</EmptyState>
      ) : (
        <Table caption="Evaluation runs">
          <thead className="bg-slate-50 dark:bg-slate-800/50">
            <tr><Th>Run</Th><Th>Dataset</Th><Th>Prompt</Th><Th>Model</Th><Th>Status</Th><Th>Rows</Th><Th>Started</Th></tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {runs.map((r) => (
              <tr key={r.id}>
                <Td><Link href={`/evaluations/runs/${r.id}`} className="text-indigo-700 underline dark:text-indigo-300">Open<span className="sr-only"> run {r.id}</span></Link></Td>
                <Td>{r.datasetName} v{r.datasetVersion}</Td>
                <Td>{r.draft ? `${r.prompt ?? ""} (draft)` : `${r.prompt} v${r.promptVersion}`}</Td>
                <Td>{r.model}</Td>
                <Td><Badge tone={tone[r.status]}>{r.status}</Badge></Td>
                <Td>{r.progress.done} / {r.progress.total}{r.progress.failed ? ` (${r.progress.failed} failed)` : ""}</Td>
                <Td>{formatDateTime(r.createdAt)}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}
