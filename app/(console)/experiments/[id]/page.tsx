import { notFound } from "next/navigation";
import { ResultsView } from "@/components/experiments/results-view";
import { hasRole, requireRole, userWorkspace } from "@/lib/auth";
import { experimentResults, getExperiment } from "@/lib/experiments";

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const me = await requireRole("viewer", "page");
  const e = await getExperiment(userWorkspace(me), id).catch(() => null);
  return { title: e ? `${e.name} · Experiments` : "Experiment" };
}

export default async function ExperimentPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requireRole("viewer", "page");
  const { id } = await params;
  const results = await experimentResults(userWorkspace(user), id).catch((e: unknown) => {
    if ((e as { status?: number })?.status === 404) notFound();
    throw e;
  });
  return <ResultsView initial={results} canEdit={hasRole(user.role, "editor")} />;
}
