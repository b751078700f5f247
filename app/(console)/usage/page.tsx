import Link from "next/link";
import { notFound } from "next/navigation";
import { Suspense } from "react";
import { PageHeader } from "@/components/ui/card";
import { UsageDashboard } from "@/components/usage/usage-dashboard";
import { CacheHitRates } from "@/components/usage/cache-hit-rates";
import { cacheHitRates } from "@/lib/gateway";
import { requireRole, userWorkspace } from "@/lib/auth";
import { usageFilterOptions, usageScope } from "@/lib/usage";
import { parseView } from "@/lib/usage/schemas";
import { listWorkspaces } from "@/lib/workspaces";

export const metadata = { title: "Usage" };

export default async function UsagePage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requireRole("viewer", "page");
  // The filters' choices follow the chosen scope; asking for one that is not the caller's to see is a 404, as on the data route.
  const scope = await usageScope({ kind: "user", user }, parseView(await searchParams).workspace).catch((err: unknown) => {
    if ((err as { status?: number }).status === 404) notFound();
    throw err;
  });
  const [options, cacheRows, workspaces] = await Promise.all([
    usageFilterOptions(scope), cacheHitRates(userWorkspace(user)), user.instanceAdmin ? listWorkspaces() : null,
  ]);
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
        <UsageDashboard
          options={options}
          workspaces={workspaces ? { current: userWorkspace(user), choices: workspaces.map((w) => ({ value: w.id, label: w.name })) } : undefined}
        />
      </Suspense>
      <CacheHitRates rows={cacheRows} />
    </>
  );
}
