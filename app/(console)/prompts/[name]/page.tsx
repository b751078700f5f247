import { notFound } from "next/navigation";
import { PromptEditor } from "@/components/prompts/prompt-editor";
import { listAccounts, servedModels } from "@/lib/accounts";
import { hasRole, requireRole, userWorkspace } from "@/lib/auth";
import { findPrompt, getVersion, listGlobalVariables } from "@/lib/prompts";

export default async function PromptEditorPage({ params, searchParams }: { params: Promise<{ name: string }>; searchParams: Promise<{ from?: string }> }) {
  const me = await requireRole("viewer", "page");
  const { name } = await params;
  const detail = await findPrompt(userWorkspace(me), name);
  if (!detail) notFound();
  const latest = detail.versions[0]?.version ?? null;
  const from = Number((await searchParams).from);
  const start = Number.isInteger(from) && detail.versions.some((v) => v.version === from) ? from : latest;
  const canEdit = hasRole(me.role, "editor");
  const [version, accounts, models, globals] = await Promise.all([
    start ? getVersion(userWorkspace(me), name, start) : null,
    canEdit ? listAccounts() : [],
    servedModels().catch(() => []),
    listGlobalVariables(userWorkspace(me)),
  ]);
  return (
    <PromptEditor
      detail={detail}
      version={version}
      baseVersion={latest}
      canEdit={canEdit}
      isAdmin={hasRole(me.role, "admin")}
      accounts={accounts.filter((a) => a.enabled).map((a) => ({ id: a.id, name: a.name, models: a.models }))}
      models={models.map((m) => m.id)}
      globals={globals.map((g) => g.name)}
      workspaceId={userWorkspace(me)}
    />
  );
}
