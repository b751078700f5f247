// Runs around every integration test file (vitest setupFiles). Files share one
// database, and a provider account left behind by one file would be routed to
// by the next (an account with no model list serves every model, and its fake
// upstream is gone). So each file removes the accounts and routing settings it
// created. Best effort: a failure here is reported, never hidden as a pass.
import { afterAll, beforeAll } from "vitest";
import pg from "pg";
import { registerSettlementSteps } from "@/lib/gateway";

// Tests that call the app's modules in-process (route handlers, chat(), the
// usage writer) run them in this worker: register what instrumentation.ts
// registers in a server at start, the steps that follow every call.
registerSettlementSteps();

let startedAt: Date;

beforeAll(async () => {
  const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  // The database's clock, not ours: rows are stamped by Postgres defaults.
  startedAt = (await c.query<{ now: Date }>("SELECT now() AS now")).rows[0]!.now;
  await c.end();
});

afterAll(async () => {
  const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  try {
    await c.query(`DELETE FROM "ProviderAccount" WHERE "createdAt" >= $1`, [startedAt]);
    await c.query(`DELETE FROM "Setting" WHERE key = 'accounts.routing'`);
    await c.query(`SELECT pg_notify('promptgate_invalidate', 'accounts:')`);
  } finally {
    await c.end();
  }
});
