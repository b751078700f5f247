import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import pg from "pg";
import { applyMigrations } from "@/lib/db/migrate";
import { sloStatus } from "@/lib/observability/slo";
import { createScratchDatabase, MIGRATIONS_DIR, type ScratchDatabase } from "../../support/postgres.ts";

// The SLO card's numbers from real usage events, in a database of its own so
// other tests' traffic cannot move them.

describe("SLO status from usage events", () => {
  let scratch: ScratchDatabase;
  let client: pg.Pool;

  async function insert(n: number, status: string, ttftMs: number | null, latencyMs: number, ageMinutes: number) {
    await client.query(
      `INSERT INTO "UsageEvent" ("completionId", "createdAt", "requestedModel", status, "latencyMs", "ttftMs", stream, "inputTokens", "outputTokens", "cachedTokens", "costUsd", "priceKnown", attempts, source)
       SELECT 'slo-' || gen_random_uuid(), now() - make_interval(mins => $5::int), 'm', $1::text, $3::int, $2::int, $2::int IS NOT NULL, 1, 1, 0, 0, false, 1, 'api' FROM generate_series(1, $4::int)`,
      [status, ttftMs, latencyMs, n, ageMinutes],
    );
  }

  beforeAll(async () => {
    scratch = await createScratchDatabase(inject("adminDatabaseUrl"));
    await applyMigrations({ connectionString: scratch.url, migrationsDir: MIGRATIONS_DIR });
    client = new pg.Pool({ connectionString: scratch.url });
  }, 120_000);

  afterAll(async () => {
    await client?.end();
    await scratch?.drop();
  });

  it("reports no data on an empty database", async () => {
    const s = await sloStatus({ availabilityTarget: 0.995, latencyP95Ms: 2500 }, client);
    expect(s.availability.state).toBe("no_data");
    expect(s.latency.p95Ms).toBeNull();
  });

  it("counts availability over 30 days without rejected calls, latency to the first token, and the last hour's burn", async () => {
    // 10 days ago: 900 fast successes, 3 upstream errors, 2 internal errors, 100 rejected (not counted), 40 aborted.
    await insert(900, "ok", 200, 5000, 60 * 24 * 10);
    await insert(3, "upstream_error", null, 300, 60 * 24 * 10);
    await insert(2, "error", null, 300, 60 * 24 * 10);
    await insert(100, "rejected", null, 1, 60 * 24 * 10);
    await insert(40, "client_aborted", 100, 900, 60 * 24 * 10);
    // Last hour: 50 non-streamed successes taking 3 s (slow: the whole response is their first token), 5 errors.
    await insert(50, "ok", null, 3000, 10);
    await insert(5, "upstream_error", null, 300, 10);
    // 31 days ago: outside the window.
    await insert(500, "error", null, 300, 60 * 24 * 31);

    const s = await sloStatus({ availabilityTarget: 0.995, latencyP95Ms: 2500 }, client);
    const valid = 900 + 3 + 2 + 40 + 50 + 5;
    expect(s.calls).toBe(valid);
    expect(s.availability.achieved).toBeCloseTo(1 - 10 / valid, 10);
    expect(s.availability.budgetRemaining).toBeCloseTo(1 - 10 / valid / 0.005, 10);
    expect(s.availability.burnRate1h).toBeCloseTo(5 / 55 / 0.005, 10);
    expect(s.availability.state).toBe("violated"); // 1 % failed against a 0.5 % budget
    // Latency: 950 successes, 50 of them slow; p95 falls exactly on the boundary of the slow tail.
    expect(s.latency.achieved).toBeCloseTo(900 / 950, 10);
    expect(s.latency.state).toBe("violated");
    expect(s.latency.burnRate1h).toBeCloseTo(1 / 0.05, 10);
    expect(s.latency.p95Ms).toBeGreaterThan(200);
    expect(s.latency.thresholdMs).toBe(2500);
  });
});
