import "server-only";
import type { Principal } from "@/lib/core";
import { createCall, runCall } from "@/lib/gateway";
import { costOf, loadPrices, priceFor } from "@/lib/pricing";
import type { ChatCompletionRequest } from "@/lib/providers";

// One model call of an evaluation, through the gateway's own pipeline (admission under the workspace's
// quotas and budgets, routing, failover, the usage event), recorded with source=evaluation.

export type CallOutcome = { output: string; latencyMs: number; cost: number | null; inputTokens: number | null; outputTokens: number | null };

/** The principal a run calls as: the run's workspace, under the evaluation runner's name. */
export const runnerPrincipal = (workspaceId: string): Principal => ({ kind: "system", name: "evaluation", workspaceId });

export async function evaluationCall(
  workspaceId: string, request: ChatCompletionRequest, opts: { accountId?: string | null; promptVersionId?: string | null; runId: string; signal?: AbortSignal },
): Promise<CallOutcome> {
  const started = performance.now();
  const call = createCall(runnerPrincipal(workspaceId), { ...request, stream: false }, opts.signal ?? new AbortController().signal, {
    source: "evaluation",
    promptVersionId: opts.promptVersionId ?? null,
    ...(opts.accountId ? { accountId: opts.accountId } : {}),
    metadata: { evaluation_run: opts.runId },
  });
  const result = await runCall(call);
  if (result.kind !== "completion") throw new Error(`an evaluation call got a ${result.kind} result`);
  const c = result.completion;
  const output = c.choices[0]?.message?.content ?? "";
  const latencyMs = Math.round(performance.now() - started);
  const u = c.usage;
  let cost: number | null = null;
  if (u) {
    await loadPrices();
    const price = priceFor(c.model || request.model, Date.now());
    if (price) cost = costOf(price, { inputTokens: u.prompt_tokens, outputTokens: u.completion_tokens, cachedTokens: u.prompt_tokens_details?.cached_tokens ?? 0 });
  }
  return { output, latencyMs, cost, inputTokens: u?.prompt_tokens ?? null, outputTokens: u?.completion_tokens ?? null };
}
