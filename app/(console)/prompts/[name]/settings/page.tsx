import { Card } from "@/components/ui/card";
import { PromptSettingsForm } from "@/components/prompts/prompt-settings-form";
import { hasRole, requireRole } from "@/lib/auth";
import { getPrompt } from "@/lib/prompts";

export default async function PromptSettingsPage({ params }: { params: Promise<{ name: string }> }) {
  const me = await requireRole("viewer", "page");
  const detail = await getPrompt((await params).name);
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
