import { notFound } from "next/navigation";
import { Card } from "@/components/ui/card";
import { PromptSettingsForm } from "@/components/prompts/prompt-settings-form";
import { hasRole, requireRole, userWorkspace } from "@/lib/auth";
import { findPrompt } from "@/lib/prompts";

export default async function PromptSettingsPage({ params }: { params: Promise<{ name: string }> }) {
  const me = await requireRole("viewer", "page");
  const detail = await findPrompt(userWorkspace(me), (await params).name);
  if (!detail) notFound();
  return (
    <Card title="Settings">
      <PromptSettingsForm
        name={detail.name}
        description={detail.description}
        tags={detail.tags}
        protectedLabels={detail.protectedLabels}
        labels={detail.labels.map((l) => l.name)}
        canEdit={hasRole(me.role, "editor")}
        isAdmin={hasRole(me.role, "admin")}
      />
    </Card>
  );
}
