import "server-only";
import { pool } from "@/lib/db";

export type UsageSummaryRow = { model: string; requests: number; inputTokens: number; outputTokens: number; cachedTokens: number; costUsd: number; errors: number };

/** Requests, tokens and cost by model over a range, for one key or for all keys (null). */
/** Requests, tokens and cost by model in one workspace, for one of its keys or all of them (null). */
export async function usageSummary(workspaceId: string, apiKeyId: string | null, from: Date, to: Date) {
  const { rows } = await pool().query<{ model: string; requests: string; input: string; output: string; cached: string; cost: string; errors: string }>(
    `SELECT COALESCE("servedModel", "requestedModel") AS model, count(*) AS requests,
            COALESCE(sum("inputTokens"),0) AS input, COALESCE(sum("outputTokens"),0) AS output,
            COALESCE(sum("cachedTokens"),0) AS cached, COALESCE(sum("costUsd"),0) AS cost,
            count(*) FILTER (WHERE status <> 'ok') AS errors
       FROM "UsageEvent"
      WHERE "createdAt" >= $1 AND "createdAt" < $2 AND ($3::uuid IS NULL OR "apiKeyId" = $3::uuid) AND "workspaceId" = $4::uuid
      GROUP BY 1 ORDER BY 1`,
    [from, to, apiKeyId, workspaceId],
  );
  const byModel: UsageSummaryRow[] = rows.map((r) => ({
    model: r.model, requests: Number(r.requests), inputTokens: Number(r.input), outputTokens: Number(r.output),
    cachedTokens: Number(r.cached), costUsd: Number(r.cost), errors: Number(r.errors),
  }));
  const total = byModel.reduce(
    (t, r) => ({ requests: t.requests + r.requests, inputTokens: t.inputTokens + r.inputTokens, outputTokens: t.outputTokens + r.outputTokens, cachedTokens: t.cachedTokens + r.cachedTokens, costUsd: t.costUsd + r.costUsd, errors: t.errors + r.errors }),
    { requests: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, costUsd: 0, errors: 0 },
  );
  return { from: from.toISOString(), to: to.toISOString(), total: { ...total, costUsd: Math.round(total.costUsd * 1e8) / 1e8 }, byModel };
}
