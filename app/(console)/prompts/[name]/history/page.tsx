import { notFound } from "next/navigation";
import { HistoryView } from "@/components/prompts/history-view";
import { hasRole, requireRole, userWorkspace } from "@/lib/auth";
import { findPrompt } from "@/lib/prompts";

export default async function PromptHistoryPage({ params }: { params: Promise<{ name: string }> }) {
  const me = await requireRole("viewer", "page");
  const detail = await findPrompt(userWorkspace(me), (await params).name);
  if (!detail) notFound();
  return <HistoryView initial={detail} canEdit={hasRole(me.role, "editor")} isAdmin={hasRole(me.role, "admin")} />;
}
