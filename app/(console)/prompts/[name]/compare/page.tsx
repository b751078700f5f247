import { notFound } from "next/navigation";
import { EmptyState } from "@/components/ui/card";
import { CompareView } from "@/components/prompts/compare-view";
import { listAccounts, servedModels } from "@/lib/accounts";
import { hasRole, requireRole, userWorkspace } from "@/lib/auth";
import { findPrompt, getVersion } from "@/lib/prompts";

// Compare side by side: runs go through the playground route, so the same
// editor rule applies there; viewers see why they cannot run anything here.
export default async function PromptComparePage({ params }: { params: Promise<{ name: string }> }) {
  const me = await requireRole("viewer", "page");
  const detail = await findPrompt(userWorkspace(me), (await params).name);
  if (!detail) notFound();
  if (!hasRole(me.role, "editor")) {
    return <EmptyState title="Editors compare outputs">Running a prompt side by side calls a model and is recorded as usage, so it needs the editor role.</EmptyState>;
  }
  const latest = detail.versions[0]?.version ?? null;
  const [accounts, models, newest] = await Promise.all([
    listAccounts(),
    servedModels().catch(() => []),
    latest ? getVersion(userWorkspace(me), detail.name, latest) : null,
  ]);
  return (
    <CompareView
      name={detail.name}
      versions={detail.versions.map((v) => v.version)}
      accounts={accounts.filter((a) => a.enabled).map((a) => ({ id: a.id, name: a.name, models: a.models }))}
      defaultModel={newest?.config.model || models[0]?.id || ""}
      workspaceId={userWorkspace(me)}
    />
  );
}
