import { notFound } from "next/navigation";
import { EmptyState } from "@/components/ui/card";
import { DiffView } from "@/components/prompts/diff-view";
import { requireRole, userWorkspace } from "@/lib/auth";
import { diffVersions, findPrompt } from "@/lib/prompts";

export default async function PromptDiffPage({ params, searchParams }: { params: Promise<{ name: string }>; searchParams: Promise<{ from?: string; to?: string }> }) {
  const me = await requireRole("viewer", "page");
  const detail = await findPrompt(userWorkspace(me), (await params).name);
  if (!detail) notFound();
  const versions = detail.versions.map((v) => v.version);
  if (versions.length < 2) return <EmptyState title="Only one version">Save another version to compare.</EmptyState>;
  const q = await searchParams;
  const pick = (s: string | undefined, fallback: number) => (versions.includes(Number(s)) ? Number(s) : fallback);
  const to = pick(q.to, versions[0]!);
  const from = pick(q.from, versions.find((v) => v < to) ?? versions[1]!);
  const initial = await diffVersions(userWorkspace(me), detail.name, { from, to });
  // A version asked for in the URL that does not exist is said, not silently replaced.
  const missing = [q.from, q.to].filter((v): v is string => v !== undefined && !versions.includes(Number(v)));
  return (
    <>
      {missing.length > 0 && (
        <p role="status" className="mb-4 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
          {detail.name} has no version {missing.join(" or ")}; showing v{from} → v{to} instead.
        </p>
      )}
      <DiffView name={detail.name} versions={versions} from={from} to={to} initial={initial} />
    </>
  );
}
