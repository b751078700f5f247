import "server-only";
import type { PoolClient } from "pg";
// The writer module rather than lib/usage's index: the index also exports the usage HTTP helpers,
// which reach next-auth, and this module is part of the seed's import graph.
import type { PricedUsageEvent } from "@/lib/usage";

// Exposures: the experiment's own narrow, indexed copy of the usage events its
// variants served. The usage writer calls this hook inside the transaction
// that inserts a batch, with only the events that were new, so an exposure
// exists exactly when its usage event does and is never double-counted.
// The phase comes from the variant row (variants belong to one phase).

const INSERT_SQL = `
INSERT INTO "ExperimentExposure" ("completionId", "experimentId", "phaseId", "variantId", "subject", "sticky", "apiKeyId",
  "status", "latencyMs", "ttftMs", "inputTokens", "outputTokens", "costUsd", "createdAt")
SELECT e.cid, v."experimentId", v."phaseId", v."id", e.subject, e.subject IS NOT NULL, e.key,
  e.status, e.latency, e.ttft, e.input, e.output, e.cost, e.at
FROM unnest($1::text[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::int4[], $7::int4[], $8::int4[], $9::int4[], $10::numeric[], $11::timestamptz[])
  AS e(cid, vid, subject, key, status, latency, ttft, input, output, cost, at)
JOIN "ExperimentVariant" v ON v."id" = e.vid
ON CONFLICT ("completionId") DO NOTHING`;

export async function recordExposures(client: Pick<PoolClient, "query">, batch: readonly PricedUsageEvent[]): Promise<void> {
  const events = batch.filter((e) => e.variantId);
  if (events.length === 0) return;
  const cols: unknown[][] = Array.from({ length: 11 }, () => []);
  for (const e of events) {
    const row = [e.completionId, e.variantId, e.endUser, e.apiKeyId, e.status, e.latencyMs, e.ttftMs, e.inputTokens, e.outputTokens, e.costUsd.toFixed(8), e.createdAt];
    row.forEach((v, i) => cols[i]!.push(v));
  }
  await client.query(INSERT_SQL, cols);
}
