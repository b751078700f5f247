import Link from "next/link";
import { Suspense } from "react";
import { PageHeader } from "@/components/ui/card";
import { UsageDashboard } from "@/components/usage/usage-dashboard";
import { CacheHitRates } from "@/components/usage/cache-hit-rates";
import { cacheHitRates } from "@/lib/gateway";
import { requireRole, userWorkspace } from "@/lib/auth";
import { usageFilterOptions } from "@/lib/usage";

export const metadata = { title: "Usage" };

export default async function UsagePage() {
  const user = await requireRole("viewer", "page");
  const [options, cacheRows] = await Promise.all([usageFilterOptions(userWorkspace(user)), cacheHitRates(userWorkspace(user))]);
  return (
    <>
      <PageHeader
        title="Usage"
        description="Tokens, cost and latency over time, from the hourly and daily rollups. Times are UTC."
        actions={
          user.instanceAdmin ? (
            <Link href="/usage/pricing" className="text-sm text-indigo-700 underline dark:text-indigo-300">
              Model prices
            </Link>
          ) : undefined
        }
      />
      <Suspense>
        <UsageDashboard options={options} />
      </Suspense>
      <CacheHitRates rows={cacheRows} />
    </>
  );
}
