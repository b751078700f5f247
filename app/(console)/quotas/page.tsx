import { EmptyState, PageHeader } from "@/components/ui/card";
import { requireRole } from "@/lib/auth";

export const metadata = { title: "Quotas" };

export default async function Page() {
  await requireRole("viewer", "page");
  return (
    <>
      <PageHeader title="Quotas" description="Rate limits and token or spend budgets per key, user and model." />
      <EmptyState title="Not built yet">
        Quota policies will be managed here. No limits are enforced yet.
      </EmptyState>
    </>
  );
}
