// Vitest globalSetup for the integration project: one fresh, migrated database
// per run, dropped (and the embedded server stopped) at teardown whatever the
// tests did. Workers are forked after this runs and copy process.env then, so
// setting DATABASE_URL here is what points lib/db at the test database.
import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import { applyMigrations } from "../../lib/db/migrate.ts";
import { createScratchDatabase, MIGRATIONS_DIR, startTestServer } from "./postgres.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** The migrated test database (also in process.env.DATABASE_URL). */
    databaseUrl: string;
    /** Same server, maintenance database: for createScratchDatabase(). */
    adminDatabaseUrl: string;
  }
}

const log = (line: string) => process.stderr.write(`[test-db] ${line}\n`);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cleanups: (() => Promise<void>)[] = [];
  const teardown = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((err: unknown) => log(`teardown step failed: ${err instanceof Error ? err.message : String(err)}`));
    }
  };
  try {
    const server = await startTestServer(log);
    cleanups.push(server.stop);
    const database = await createScratchDatabase(server.adminUrl, "promptgate_test");
    cleanups.push(database.drop);
    const { applied } = await applyMigrations({ connectionString: database.url, migrationsDir: MIGRATIONS_DIR, log });
    log(`${database.name} on ${server.embedded ? "the embedded test server" : "DATABASE_URL's server"}, ${applied.length} migrations applied`);

    process.env.DATABASE_URL = database.url;
    process.env.AUTH_SECRET ??= randomBytes(32).toString("base64url");
    process.env.ENCRYPTION_KEY ??= randomBytes(32).toString("hex");
    project.provide("databaseUrl", database.url);
    project.provide("adminDatabaseUrl", server.adminUrl);
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
