"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { ExperimentResults } from "@/lib/experiments/schemas";

async function fetchResults(id: string, phase: number | null, signal: AbortSignal): Promise<ExperimentResults> {
  const res = await fetch(`/api/admin/experiments/${id}/results${phase ? `?phase=${phase}` : ""}`, { signal, headers: { accept: "application/json" } });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(body?.error?.message ?? `Loading the results failed (${res.status})`);
  }
  return res.json() as Promise<ExperimentResults>;
}

/** Live results: refreshed every few seconds while the experiment runs; the sequential test keeps that honest. */
export function useExperimentResults(id: string, phase: number | null, initial: ExperimentResults | undefined, live: boolean) {
  return useQuery({
    queryKey: ["experiment-results", id, phase],
    queryFn: ({ signal }) => fetchResults(id, phase, signal),
    initialData: initial && (phase === null || initial.phase.number === phase) ? initial : undefined,
    placeholderData: keepPreviousData,
    refetchInterval: live ? 5_000 : false,
    staleTime: 2_000,
  });
}
