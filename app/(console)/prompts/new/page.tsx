import Link from "next/link";
import { PageHeader } from "@/components/ui/card";
import { PromptEditor } from "@/components/prompts/prompt-editor";
import { listAccounts, servedModels } from "@/lib/accounts";
import { hasRole, requireRole, userWorkspace } from "@/lib/auth";
import { listGlobalVariables } from "@/lib/prompts";

export const metadata = { title: "New prompt" };

export default async function NewPromptPage() {
  const me = await requireRole("editor", "page");
  const [accounts, models, globals] = await Promise.all([listAccounts(), servedModels().catch(() => []), listGlobalVariables(userWorkspace(me))]);
  return (
    <>
      <p className="mb-2 text-sm">
        <Link href="/prompts" className="text-indigo-700 underline underline-offset-2 dark:text-indigo-300">Prompts</Link>
      </p>
      <PageHeader title="New prompt" description="Write the template, declare its variables and choose a model. Creating it saves version 1." />
      <PromptEditor
        detail={null}
        version={null}
        baseVersion={null}
        canEdit
        isAdmin={hasRole(me.role, "admin")}
        accounts={accounts.filter((a) => a.enabled).map((a) => ({ id: a.id, name: a.name, models: a.models }))}
        models={models.map((m) => m.id)}
        globals={globals.map((g) => g.name)}
        workspaceId={userWorkspace(me)}
      />
    </>
  );
}
