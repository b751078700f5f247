import { EmptyState } from "@/components/ui/card";
import { DiffView } from "@/components/prompts/diff-view";
import { requireRole } from "@/lib/auth";
import { diffVersions, getPrompt } from "@/lib/prompts";

export default async function PromptDiffPage({ params, searchParams }: { params: Promise<{ name: string }>; searchParams: Promise<{ from?: string; to?: string }> }) {
  await requireRole("viewer", "page");
  const detail = await getPrompt((await params).name);
  const versions = detail.versions.map((v) => v.version);
  if (versions.length < 2) return <EmptyState title="Only one version">Save another version to compare.</EmptyState>;
  const q = await searchParams;
  const pick = (s: string | undefined, fallback: number) => (versions.includes(Number(s)) ? Number(s) : fallback);
  const to = pick(q.to, versions[0]!);
  const from = pick(q.from, versions.find((v) => v < to) ?? versions[1]!);
  const initial = await diffVersions(detail.name, { from, to });
  return <DiffView name={detail.name} versions={versions} from={from} to={to} initial={initial} />;
}
