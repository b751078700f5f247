import "server-only";
import type { PoolClient } from "pg";
import type { PricedUsageEvent } from "@/lib/usage";
import { logger } from "@/lib/observability";
import { isReservation } from "./reserve";
import { untrackReservations } from "./sweeper";
import { settledHere } from "./wait";
import type { QuotaPeriod } from "./schemas";

// Settlement runs inside the usage writer's batch transaction, only for events
// inserted by that transaction (a retried batch never settles twice), as one
// statement for the whole batch: each call's estimate is released (unless the
// sweeper already released it) and its actual usage added, overage included.
// A failed or aborted call settles what the gateway counted for it.
// A call admitted fail-open while the database was unreachable (an `unreserved`
// handle, reserve.ts) holds nothing: its estimate is 0 and its counters may not
// exist yet, so they are created first (in key order, like quota_reserve, and
// only for policies that still exist), then its usage is added like any other.

const COUNTERS_SQL = `INSERT INTO "QuotaCounter" ("policyId", "subject", "period", "windowStart")
SELECT c.p, c.s, c.w::"QuotaPeriod", c.t
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]) AS c(p, s, w, t)
JOIN "QuotaPolicy" q ON q."id" = c.p
ORDER BY 1, 2, 3, 4
ON CONFLICT DO NOTHING`;

const SETTLE_SQL = `SELECT quota_settle($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::bigint[], $7::numeric[], $8::bigint[], $9::numeric[])`;

export async function settleBatch(client: PoolClient, batch: readonly PricedUsageEvent[]): Promise<void> {
  const cols: [string[], string[], string[], string[], string[], number[], string[], number[], string[]] = [[], [], [], [], [], [], [], [], []];
  const ids: string[] = [];
  const missing: [string[], string[], string[], string[]] = [[], [], [], []];
  for (const e of batch) {
    const r = e.reservation;
    if (!isReservation(r)) continue;
    ids.push(r.id);
    if (r.unreserved) {
      for (const c of r.counters) {
        missing[0].push(c.policyId);
        missing[1].push(c.subject);
        missing[2].push(c.period);
        missing[3].push(c.windowStart);
      }
    }
    const tokens = e.inputTokens + e.outputTokens;
    for (const c of r.counters) {
      cols[0].push(r.id);
      cols[1].push(c.policyId);
      cols[2].push(c.subject);
      cols[3].push(c.period);
      cols[4].push(c.windowStart);
      cols[5].push(c.tokens);
      cols[6].push(c.spend.toFixed(8));
      cols[7].push(tokens);
      cols[8].push(e.costUsd.toFixed(8));
    }
  }
  if (ids.length === 0) return;
  if (missing[0].length) await client.query(COUNTERS_SQL, missing);
  await client.query(SETTLE_SQL, cols);
  untrackReservations(ids);
  // Calls waiting for reserved capacity on these counters (wait.ts) learn at once what came back. Only a
  // hint: it must never fail the batch, whose events and settlement are already written.
  try {
    settledHere(cols[0].map((_, i) => ({
      policyId: cols[1][i]!, subject: cols[2][i]!, period: cols[3][i] as QuotaPeriod, windowStart: Date.parse(cols[4][i]!),
      estTokens: cols[5][i]!, estSpend: Number(cols[6][i]), tokens: cols[7][i]!, spend: Number(cols[8][i]),
    })));
  } catch (err) {
    logger.warn({ err }, "could not wake calls waiting for quota settlements; they poll");
  }
}
