// The migration that makes the API surface a rollup dimension, on a database
// that already holds usage: rollups written before it (one row for chat and
// template completions alike) become exactly what the events say per surface.
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { applyMigrations } from "@/lib/db/migrate";
import { rollupFromEventsSql, ROLLUP_COLUMNS, ROLLUP_TABLE, type Grain } from "@/lib/usage/rollups";
import { createScratchDatabase, MIGRATIONS_DIR, type ScratchDatabase } from "../../support/postgres";

const MIGRATION = "20261207221000_usage_rollup_surface";
const FROM = new Date(Date.UTC(2034, 0, 1));
const TO = new Date(Date.UTC(2034, 0, 4));

describe("migration usage_rollup_surface (usage #17.4)", () => {
  let database: ScratchDatabase;
  let client: pg.Client;
  let before: string;

  beforeAll(async () => {
    // The migrations up to the one before it, in a folder of their own.
    before = mkdtempSync(join(tmpdir(), "pg-migrations-"));
    for (const name of readdirSync(MIGRATIONS_DIR)) if (name < MIGRATION || name === "migration_lock.toml") cpSync(join(MIGRATIONS_DIR, name), join(before, name), { recursive: true });
    database = await createScratchDatabase(inject("adminDatabaseUrl"), "promptgate_surface_mig");
    await applyMigrations({ connectionString: database.url, migrationsDir: before });
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  }, 120_000);

  afterAll(async () => {
    await client?.end();
    await database?.drop();
    if (before) rmSync(before, { recursive: true, force: true });
  });

  it("usage #17.4: rollups written before it are split by surface, exactly as the events say", async () => {
    // Events of every surface, and their rollups as the writer kept them before (no surface).
    await client.query(
      `INSERT INTO "UsageEvent" ("completionId", "createdAt", "requestedModel", "inputTokens", "outputTokens", "costUsd", "latencyMs", status, surface)
       SELECT 'mig-' || g, $1::timestamptz + (g * interval '97 seconds'), CASE WHEN g % 3 = 0 THEN 'text-embedding-3-small' ELSE 'gpt-4o-mini' END,
              10 + g % 50, CASE WHEN g % 5 = 2 THEN 0 ELSE g % 40 END, 0.00001 * (g % 7), 100 + g % 900, CASE WHEN g % 11 = 0 THEN 'upstream_error' ELSE 'ok' END,
              (ARRAY['chat', 'chat', 'embeddings', 'completion', 'messages', 'responses'])[1 + g % 6]
         FROM generate_series(1, 2500) g`,
      [FROM],
    );
    for (const grain of ["hour", "day"] as const) {
      // Nor the workspace, which a later migration adds.
      const old = rollupFromEventsSql(grain).replaceAll(", surface", "").replaceAll(', "workspaceId"', "");
      await client.query(`INSERT INTO "${ROLLUP_TABLE[grain]}" ("bucket", "model", "accountId", "apiKeyId", "promptVersionId", "variantId", "status", "requests", "errors",
        "inputTokens", "outputTokens", "cachedTokens", "costUsd", "latencySumMs", "latencyCount", "ttftSumMs", "ttftCount", "latencyBuckets") ${old}`, [FROM, TO]);
    }
    const { rows: [pre] } = await client.query(`SELECT count(*)::int AS n FROM "UsageRollupHour"`);
    expect(pre.n).toBeGreaterThan(0);

    const { applied } = await applyMigrations({ connectionString: database.url, migrationsDir: MIGRATIONS_DIR });
    expect(applied).toContain(MIGRATION);

    const norm = (rows: Record<string, unknown>[]) =>
      rows.map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : k === "costUsd" ? Number(v).toFixed(8) : Array.isArray(v) ? v.map(Number) : String(v)])))).sort();
    for (const grain of ["hour", "day"] as const satisfies Grain[]) {
      const stored = (await client.query(`SELECT ${ROLLUP_COLUMNS} FROM "${ROLLUP_TABLE[grain]}"`)).rows;
      const want = (await client.query(rollupFromEventsSql(grain), [FROM, TO])).rows;
      expect(new Set(stored.map((r) => r.surface))).toEqual(new Set(["chat", "embeddings", "completion", "messages", "responses"]));
      expect(norm(stored)).toEqual(norm(want));
    }
  });
});
