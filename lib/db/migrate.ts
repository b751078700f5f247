import "server-only";
import { createHash, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";

// Applies prisma/migrations with plain pg, because `prisma migrate` needs a
// schema engine download that self-hosted and offline installs cannot rely on.
// The bookkeeping is byte-compatible with Prisma's so that `prisma migrate
// deploy` can take over the same database and folder at any time:
//   - the same `_prisma_migrations` table and columns,
//   - checksum = sha256 hex of migration.sql,
//   - the same advisory lock key, so this runner and Prisma also serialise.
// See lib/db/README.md for the rules about adding migrations.

const MIGRATIONS_TABLE = "_prisma_migrations";
const PRISMA_ADVISORY_LOCK_KEY = 72707369;

const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export type MigrationLog = (message: string) => void;

export type ApplyMigrationsOptions = {
  connectionString: string;
  migrationsDir?: string;
  log?: MigrationLog;
};

export type ApplyMigrationsResult = { applied: string[]; skipped: string[] };

export type MigrationStatus = {
  /** True when every folder on disk has a finished row and none has failed. */
  upToDate: boolean;
  pending: string[];
  failed: string[];
};

/** Anything that can run a query: a pg Pool, Client or PoolClient. */
export type Queryable = Pick<pg.Pool, "query">;

/** A migration problem the operator has to act on; its message says what to do. */
export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrationError";
  }
}

type LocalMigration = { name: string; sql: string; checksum: string };

type AppliedRow = {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  started_at: Date;
  logs: string | null;
};

export async function applyMigrations({
  connectionString,
  migrationsDir = "prisma/migrations",
  log = () => {},
}: ApplyMigrationsOptions): Promise<ApplyMigrationsResult> {
  const local = readLocalMigrations(migrationsDir);
  const client = new pg.Client({ connectionString, application_name: "promptgate-migrate" });
  await client.connect().catch((err: unknown) => {
    throw new MigrationError(`cannot connect to the database at ${redact(connectionString)}: ${connectError(err)}`);
  });
  try {
    await acquireLock(client, log);
    try {
      await client.query(CREATE_MIGRATIONS_TABLE);
      const rows = await readRows(client);
      verifyHistory(local, rows, log);
      const done = new Set(appliedNames(rows));
      const applied: string[] = [];
      const skipped: string[] = [];
      for (const migration of local) {
        if (done.has(migration.name)) {
          skipped.push(migration.name);
          continue;
        }
        log(`applying migration ${migration.name}`);
        await applyOne(client, migration);
        applied.push(migration.name);
      }
      return { applied, skipped };
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [PRISMA_ADVISORY_LOCK_KEY]).catch(() => {});
    }
  } finally {
    await client.end();
  }
}

/**
 * What a readiness probe needs: are all migrations on disk applied? One query;
 * pass the app's pool to avoid opening a connection per probe.
 */
export async function migrationStatus(
  db: string | Queryable,
  migrationsDir = "prisma/migrations",
): Promise<MigrationStatus> {
  const onDisk = listMigrationNames(migrationsDir);
  const rows = await withQueryable(db, async (q) => {
    try {
      const res = await q.query<Pick<AppliedRow, "migration_name" | "finished_at" | "rolled_back_at">>(
        `SELECT migration_name, finished_at, rolled_back_at FROM "${MIGRATIONS_TABLE}"`,
      );
      return res.rows;
    } catch (err) {
      if (pgCode(err) === "42P01") return []; // no table yet: nothing applied
      throw err;
    }
  });
  const applied = new Set(rows.filter((r) => r.finished_at && !r.rolled_back_at).map((r) => r.migration_name));
  const failed = rows.filter((r) => !r.finished_at && !r.rolled_back_at).map((r) => r.migration_name);
  const pending = onDisk.filter((name) => !applied.has(name));
  return { upToDate: pending.length === 0 && failed.length === 0, pending, failed };
}

/** Names of the migrations on disk that the database has not finished applying. */
export async function pendingMigrations(db: string | Queryable, migrationsDir = "prisma/migrations"): Promise<string[]> {
  return (await migrationStatus(db, migrationsDir)).pending;
}

/** sha256 hex of the file's bytes, exactly as Prisma records it. */
export function migrationChecksum(sql: string | Buffer): string {
  return createHash("sha256").update(sql).digest("hex");
}

function listMigrationNames(dir: string): string[] {
  if (!existsSync(dir)) throw new MigrationError(`migrations folder ${dir} does not exist`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    // Prisma orders by folder name as plain bytes; localeCompare could disagree.
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function readLocalMigrations(dir: string): LocalMigration[] {
  return listMigrationNames(dir).map((name) => {
    const file = join(dir, name, "migration.sql");
    if (!existsSync(file)) {
      throw new MigrationError(`migration folder ${join(dir, name)} has no migration.sql; remove the folder or add the file`);
    }
    const bytes = readFileSync(file);
    return { name, sql: bytes.toString("utf8"), checksum: migrationChecksum(bytes) };
  });
}

async function acquireLock(client: pg.Client, log: MigrationLog): Promise<void> {
  const res = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [PRISMA_ADVISORY_LOCK_KEY]);
  if (res.rows[0]?.locked) return;
  // Another instance is migrating. Waiting (rather than failing) lets several
  // replicas start together; the lock is session-scoped, so a crashed holder
  // releases it when its connection drops.
  log("waiting for another process to finish applying migrations");
  await client.query("SELECT pg_advisory_lock($1)", [PRISMA_ADVISORY_LOCK_KEY]);
}

async function readRows(client: pg.Client): Promise<AppliedRow[]> {
  const res = await client.query<AppliedRow>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at, started_at, logs
       FROM "${MIGRATIONS_TABLE}" ORDER BY started_at`,
  );
  return res.rows;
}

function appliedNames(rows: AppliedRow[]): string[] {
  return rows.filter((r) => r.finished_at && !r.rolled_back_at).map((r) => r.migration_name);
}

function verifyHistory(local: LocalMigration[], rows: AppliedRow[], log: MigrationLog): void {
  const failed = rows.find((r) => !r.finished_at && !r.rolled_back_at);
  if (failed) throw failedMigrationError(failed);

  const byName = new Map(local.map((m) => [m.name, m]));
  for (const row of rows.filter((r) => r.finished_at && !r.rolled_back_at)) {
    const migration = byName.get(row.migration_name);
    if (!migration) {
      // Warn, don't refuse: this is what rolling back to an older build looks
      // like (a newer instance already migrated). Migrations are additive, so
      // the older code normally runs fine on the newer schema, and refusing
      // would turn a rollback into an outage. `prisma migrate deploy` behaves
      // the same way.
      log(`warning: migration ${row.migration_name} is applied in the database but missing from the migrations folder (running an older build?)`);
      continue;
    }
    if (migration.checksum !== row.checksum && !checksumMatches(migration.sql, row.checksum)) {
      throw new MigrationError(
        `migration ${row.migration_name} was modified after it was applied (checksum in database ${row.checksum}, ` +
          `file now ${migration.checksum}). Applied migrations are append-only: restore the original ` +
          `migration.sql (git checkout) and put the change in a new migration folder.`,
      );
    }
  }
}

// Same tolerance as Prisma's script_matches_checksum: git may have converted
// line endings since the file was applied, and very old Prisma versions wrote
// the hex digest without zero padding.
function checksumMatches(sql: string, recorded: string): boolean {
  const variants = [sql, sql.replaceAll("\r\n", "\n"), sql.replaceAll("\n", "\r\n")];
  return variants.some((v) => {
    const digest = createHash("sha256").update(v, "utf8").digest();
    const hex = recorded.length === 64 ? digest.toString("hex") : [...digest].map((b) => b.toString(16)).join("");
    return hex === recorded;
  });
}

function failedMigrationError(row: AppliedRow): MigrationError {
  const reason = row.logs ? `\n${indent(row.logs.trim())}` : "";
  return new MigrationError(
    `migration ${row.migration_name} failed on an earlier run (started ${row.started_at.toISOString()}) and blocks all later migrations.${reason}\n` +
      `Each migration runs in one transaction, so the failed attempt changed nothing. Fix its migration.sql, then mark the attempt ` +
      `rolled back and start again:\n` +
      `  UPDATE "${MIGRATIONS_TABLE}" SET rolled_back_at = now() WHERE migration_name = '${row.migration_name}' AND finished_at IS NULL;\n` +
      `(or \`npx prisma migrate resolve --rolled-back ${row.migration_name}\` where the Prisma CLI can run)`,
  );
}

async function applyOne(client: pg.Client, migration: LocalMigration): Promise<void> {
  const id = randomUUID();
  // The "started" row is committed before the migration's own transaction so
  // that a failure (or a crash mid-way) leaves a visible failed row, exactly
  // as Prisma does, and the next run refuses instead of guessing.
  await client.query(
    `INSERT INTO "${MIGRATIONS_TABLE}" (id, checksum, migration_name, started_at, applied_steps_count)
     VALUES ($1, $2, $3, clock_timestamp(), 0)`,
    [id, migration.checksum, migration.name],
  );
  try {
    await client.query("BEGIN");
    await client.query(migration.sql);
    await client.query(
      `UPDATE "${MIGRATIONS_TABLE}" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1`,
      [id],
    );
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    const detail = describePgError(err);
    await client
      .query(`UPDATE "${MIGRATIONS_TABLE}" SET logs = $2 WHERE id = $1`, [id, detail])
      .catch(() => {});
    throw new MigrationError(`migration ${migration.name} failed and was rolled back: ${detail}`);
  }
}

function describePgError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const e = err as Error & { code?: string; position?: string; detail?: string };
  const parts = [e.message];
  if (e.code) parts.push(`(SQLSTATE ${e.code}${e.position ? `, at character ${e.position}` : ""})`);
  if (e.detail) parts.push(`\n${e.detail}`);
  return parts.join(" ");
}

function redact(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}

// "localhost" fails on ::1 and 127.0.0.1 at once, which Node reports as an
// AggregateError with an empty message.
function connectError(err: unknown): string {
  if (err instanceof AggregateError) return [...new Set(err.errors.map(connectError))].join("; ");
  const e = err as Error & { code?: string };
  return e.message || e.code || String(err);
}

function pgCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : undefined;
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
}

async function withQueryable<T>(db: string | Queryable, fn: (q: Queryable) => Promise<T>): Promise<T> {
  if (typeof db !== "string") return fn(db);
  const client = new pg.Client({ connectionString: db, application_name: "promptgate-migrate" });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
