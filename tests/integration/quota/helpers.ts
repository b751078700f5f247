// Shared by the quota integration tests: keys as principals, usage events that
// carry a reservation, and direct reads of the counters.
import pg from "pg";
import { createApiKey } from "@/lib/auth/api-keys";
import { recordUsage, flushUsage, type UsageEventInput } from "@/lib/usage";
import type { Principal } from "@/lib/core";
import type { Reservation } from "@/lib/quota";
export { eventually } from "../../support/eventually";

export const system = { kind: "system", name: "test" } as const;

let n = 0;
export const unique = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${++n}`;

export async function newKey(scopes: string[] = ["completions"]) {
  const { key, row } = await createApiKey(system, { name: unique("quota-key"), scopes });
  const principal: Principal = { kind: "apiKey", key: { id: row.id, name: row.name, prefix: row.prefix, scopes: row.scopes, expiresAt: null, workspace: { id: "00000000-0000-0000-0000-000000000001", allowedModels: [] } } };
  return { key, id: row.id, principal };
}

export type Counter = {
  period: string; windowStart: Date; usedRequests: number; reservedRequests: number; usedTokens: number; reservedTokens: number;
  usedSpendUsd: number; reservedSpendUsd: number;
};

export async function counters(sql: pg.Pool, policyId: string, subject?: string): Promise<Counter[]> {
  const { rows } = await sql.query(
    `SELECT "period", "windowStart", "usedRequests", "reservedRequests", "usedTokens"::float8 AS "usedTokens", "reservedTokens"::float8 AS "reservedTokens",
            "usedSpendUsd"::float8 AS "usedSpendUsd", "reservedSpendUsd"::float8 AS "reservedSpendUsd"
     FROM "QuotaCounter" WHERE "policyId" = $1 AND ($2::text IS NULL OR "subject" = $2) ORDER BY "windowStart", "period"`,
    [policyId, subject ?? null],
  );
  return rows as Counter[];
}

/** Settles a call the way the gateway does: one usage event carrying the reservation, written by the real writer. */
export async function settle(
  completionId: string,
  reservation: Reservation | null,
  fields: Partial<UsageEventInput> & { inputTokens: number; outputTokens: number },
): Promise<void> {
  recordUsage({
    completionId, createdAt: new Date(), apiKeyId: null, endUser: null, accountId: null, provider: null,
    requestedModel: "quota-test-model", servedModel: null, cachedTokens: 0, latencyMs: 1, ttftMs: null,
    status: "ok", errorCode: null, stream: false, attempts: 1, reservation, ...fields,
  });
  await flushUsage();
}
