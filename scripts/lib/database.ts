// Shared by the admin CLI (and usable by other scripts): make the environment
// complete (instance secrets, DATABASE_URL) and the database migrated, starting
// the embedded Postgres from .data/postgres when no DATABASE_URL is given.
import { ensureInstanceSecrets } from "@/lib/instance-secrets";
import { EMBEDDED_DEFAULTS, embeddedPort, startEmbeddedPostgres } from "@/lib/db/embedded";
import { applyMigrations } from "@/lib/db/migrate";


export async function prepareDatabase({ quiet = false } = {}): Promise<() => Promise<void>> {
  const log = (line: string) => {
    if (!quiet) process.stderr.write(`${line}\n`);
  };
  const secrets = ensureInstanceSecrets();
  process.env.AUTH_SECRET ??= secrets.AUTH_SECRET;
  process.env.ENCRYPTION_KEY ??= secrets.ENCRYPTION_KEY;
  process.env.AUTH_TRUST_HOST ??= "true";

  let stop = async () => {};
  if (!process.env.DATABASE_URL) {
    const pg = await startEmbeddedPostgres({ dataDir: EMBEDDED_DEFAULTS.dataDir, port: embeddedPort(), database: EMBEDDED_DEFAULTS.database, log: (l) => process.stderr.write(`${l}\n`) });
    process.env.DATABASE_URL = pg.url;
    stop = () => pg.stop();
  }
  try {
    const { applied } = await applyMigrations({ connectionString: process.env.DATABASE_URL, log });
    if (applied.length) log(`applied migrations: ${applied.join(", ")}`);
  } catch (e) {
    await stop();
    throw e;
  }
  return stop;
}
