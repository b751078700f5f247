// `npm run db:migrate`: apply pending migrations from prisma/migrations.
// Uses DATABASE_URL when set; otherwise the embedded Postgres in .data/postgres,
// started just for this and stopped again (`npm start` migrates by itself, so
// this is mostly for operators with their own Postgres).
import { EMBEDDED_DEFAULTS, EmbeddedPostgresError, embeddedPort, startEmbeddedPostgres } from "../lib/db/embedded.ts";
import { applyMigrations, MigrationError } from "../lib/db/migrate.ts";

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  let connectionString = process.env.DATABASE_URL;
  let stop = async () => {};
  if (!connectionString) {
    const { dataDir, database } = EMBEDDED_DEFAULTS;
    const port = embeddedPort();
    log(`DATABASE_URL is not set: using the embedded Postgres in ${dataDir} (port ${port})`);
    const server = await startEmbeddedPostgres({ dataDir, port, database, log });
    connectionString = server.url;
    stop = server.stop;
  }
  try {
    const { applied, skipped } = await applyMigrations({ connectionString, log });
    if (applied.length === 0) log(`database is up to date (${skipped.length} migrations already applied)`);
    else log(`applied ${applied.length} migration(s): ${applied.join(", ")}`);
  } finally {
    await stop();
  }
}

main().catch((err: unknown) => {
  // These errors are written for the operator; a stack trace would only bury them.
  const known = err instanceof MigrationError || err instanceof EmbeddedPostgresError;
  log(known ? `\n${(err as Error).message}\n` : String(err instanceof Error ? err.stack : err));
  process.exitCode = 1;
});
