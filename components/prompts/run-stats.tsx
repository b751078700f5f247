"use client";
import { useQuery } from "@tanstack/react-query";
import { fetchPlaygroundRun } from "./prompt-reads";
import type { StreamState } from "./use-playground-stream";

const ms = (v: number | null | undefined) => (v === null || v === undefined ? "—" : `${v} ms`);
const dt = "text-xs text-slate-600 dark:text-slate-400";

/**
 * A playground run's numbers: what the stream said while it ran, replaced by
 * the recorded usage event (tokens, time to first token, latency, cost) once
 * the batched writer has flushed it.
 */
export function RunStats({ state, testId, className = "grid grid-cols-2 gap-x-4 gap-y-1 text-sm sm:grid-cols-3" }: { state: StreamState; testId: string; className?: string }) {
  const finished = state.status === "done" || state.status === "stopped" || state.status === "error";
  const recorded = useQuery({
    queryKey: ["playground-run", state.completionId],
    queryFn: async ({ signal }) => {
      const r = await fetchPlaygroundRun(state.completionId!, signal);
      if (!r) throw new Error("not recorded yet");
      return r;
    },
    enabled: finished && !!state.completionId,
    retry: 10,
    retryDelay: 300,
    staleTime: Infinity,
  });
  return (
    <dl className={className} data-testid={`${testId}-stats`} aria-live="polite">
      <div><dt className={dt}>Status</dt><dd>{state.status}</dd></div>
      <div><dt className={dt}>Time to first token</dt><dd>{ms(recorded.data?.ttftMs ?? state.ttftMs)}</dd></div>
      <div><dt className={dt}>Latency</dt><dd>{ms(recorded.data?.latencyMs ?? state.latencyMs)}</dd></div>
      <div><dt className={dt}>Input tokens</dt><dd>{recorded.data?.inputTokens ?? state.usage?.prompt_tokens ?? "—"}</dd></div>
      <div><dt className={dt}>Output tokens</dt><dd>{recorded.data?.outputTokens ?? state.usage?.completion_tokens ?? "—"}</dd></div>
      <div>
        <dt className={dt}>Cost</dt>
        <dd data-testid={`${testId}-cost`}>
          {recorded.data
            ? recorded.data.priceKnown ? `$${recorded.data.costUsd.toFixed(6)}` : "unknown price"
            : recorded.isError ? "not recorded" : finished && state.completionId ? "recording…" : "—"}
        </dd>
      </div>
    </dl>
  );
}
