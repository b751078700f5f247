import { EmptyState, PageHeader } from "@/components/ui/card";
import { requireRole } from "@/lib/auth";

export const metadata = { title: "Accounts" };

export default async function Page() {
  await requireRole("viewer", "page");
  return (
    <>
      <PageHeader title="Accounts" description="Upstream provider accounts and their health." />
      <EmptyState title="Not built yet">
        Provider accounts, their health and circuit breakers will be managed here.
      </EmptyState>
    </>
  );
}
