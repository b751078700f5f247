import { HistoryView } from "@/components/prompts/history-view";
import { hasRole, requireRole } from "@/lib/auth";
import { getPrompt } from "@/lib/prompts";

export default async function PromptHistoryPage({ params }: { params: Promise<{ name: string }> }) {
  const me = await requireRole("viewer", "page");
  const detail = await getPrompt((await params).name);
  return <HistoryView initial={detail} canEdit={hasRole(me.role, "editor")} isAdmin={hasRole(me.role, "admin")} />;
}
