import Link from "next/link";
import { notFound } from "next/navigation";
import { PageHeader } from "@/components/ui/card";
import { RunViewer } from "@/components/evals/run-view";
import { requireRole } from "@/lib/auth";
import { runResults } from "@/lib/evals";

export const metadata = { title: "Evaluation run" };

export default async function RunPage({ params }: { params: Promise<{ id: string }> }) {
  const me = await requireRole("admin", "page");
  const principal = { kind: "user", user: me } as const;
  const { id } = await params;
  const data = await runResults(principal, id).catch((e: unknown) => {
    const status = (e as { status?: number }).status;
    if (status === 404 || status === 400) notFound();
    throw e;
  });
  const r = data.run;
  return (
    <>
      <p className="mb-2 text-sm"><Link href={`/evaluations/datasets/${r.datasetId}`} className="text-indigo-700 underline dark:text-indigo-300">← {r.datasetName}</Link></p>
      <PageHeader
        title={`${r.draft ? `${r.prompt ?? "Draft"} (draft)` : `${r.prompt} v${r.promptVersion}`} on ${r.datasetName} v${r.datasetVersion}`}
        description={`Model ${r.model}; scorers ${r.scorers.map((s) => s.key).join(", ")}; ${r.concurrency} rows at a time.`}
      />
      <RunViewer initial={data} />
    </>
  );
}
