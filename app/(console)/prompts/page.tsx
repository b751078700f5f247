import { EmptyState, PageHeader } from "@/components/ui/card";
import { requireRole } from "@/lib/auth";

export const metadata = { title: "Prompts" };

export default async function Page() {
  await requireRole("viewer", "page");
  return (
    <>
      <PageHeader title="Prompts" description="Prompt templates with immutable version history, labels and a playground." />
      <EmptyState title="Not built yet">
        Prompt templates arrive with the prompt-management release. Until then, call the gateway directly with the OpenAI-compatible API.
      </EmptyState>
    </>
  );
}
