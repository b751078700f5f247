// Waiting for work the app does off the request path (usage batches, periodic
// writers), by polling for its result rather than sleeping a guessed time.
import type pg from "pg";

/** Polls fn until it returns a truthy value, or fails after timeoutMs. */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 10_000, what = "condition"): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A completion's usage event row once the usage writer has flushed it. */
export function usageEventOf<T extends object>(sql: pg.Pool, completionId: string, timeoutMs?: number): Promise<T> {
  return eventually(
    async () => (await sql.query<T & pg.QueryResultRow>(`SELECT * FROM "UsageEvent" WHERE "completionId" = $1`, [completionId])).rows[0],
    timeoutMs,
    `a usage event for ${completionId}`,
  );
}
