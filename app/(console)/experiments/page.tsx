import { EmptyState, PageHeader } from "@/components/ui/card";
import { requireRole } from "@/lib/auth";

export const metadata = { title: "Experiments" };

export default async function Page() {
  await requireRole("viewer", "page");
  return (
    <>
      <PageHeader title="Experiments" description="A/B experiments over prompt variants with sound statistics." />
      <EmptyState title="Not built yet">
        Experiments need prompt templates first. This page will list running and completed experiments with their results.
      </EmptyState>
    </>
  );
}
