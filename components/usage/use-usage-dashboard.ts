"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { UsageDashboard } from "@/lib/usage/types";

async function fetchDashboard(search: string, signal: AbortSignal): Promise<UsageDashboard> {
  const res = await fetch(`/api/admin/usage/dashboard${search ? `?${search}` : ""}`, { signal, headers: { accept: "application/json" } });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(body?.error?.message ?? `The usage query failed (${res.status})`);
  }
  return res.json() as Promise<UsageDashboard>;
}

/** One request per view: KPIs, every chart and the top-N tables come back together, so nothing waits on anything else. */
export function useUsageDashboard(search: string) {
  return useQuery({
    queryKey: ["usage-dashboard", search],
    queryFn: ({ signal }) => fetchDashboard(search, signal),
    placeholderData: keepPreviousData,
    // Relative ranges end "now": refresh while the page is open.
    refetchInterval: 60_000,
  });
}
