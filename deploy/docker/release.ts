// The release step of a deployment: apply pending migrations, then the
// first-start seed (admin user and API key, only on an empty database). Run it
// once per release, before the new app version starts (docker compose's
// `migrate` service, the Kubernetes Job in deploy/k8s/migrate-job.yaml).
// Set ADMIN_PASSWORD and INIT_API_KEY from your secrets, or the generated
// credentials are printed once, into this job's log.
import { applyMigrations } from "../../lib/db/migrate.ts";

const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write("DATABASE_URL is required for the release step\n");
  process.exit(2);
}
const log = (line: string) => process.stderr.write(`${line}\n`);
const { applied, skipped } = await applyMigrations({ connectionString: url, log });
log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(", ")}` : `database is up to date (${skipped.length} migrations)`);
const { seedOnFirstStart } = await import("../../prisma/seed.ts");
const seeded = await seedOnFirstStart();
log(seeded.seeded ? "seeded the first admin user and API key" : "already seeded");
const { closeDb } = await import("../../lib/db/index.ts");
await closeDb();
