import { EmptyState, PageHeader } from "@/components/ui/card";
import { requireRole } from "@/lib/auth";

export const metadata = { title: "Usage" };

export default async function Page() {
  await requireRole("viewer", "page");
  return (
    <>
      <PageHeader title="Usage" description="Tokens, cost and latency over time." />
      <EmptyState title="Not built yet">
        Usage charts appear once the gateway records traffic.
      </EmptyState>
    </>
  );
}
