import { createHash } from "node:crypto";
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { applyMigrations, MigrationError, migrationStatus } from "@/lib/db/migrate";
import { createScratchDatabase, MIGRATIONS_DIR, withClient, type ScratchDatabase } from "../support/postgres.ts";

const adminUrl = inject("adminDatabaseUrl");
const onDisk = readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();
const first = onDisk[0]!;

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

async function scratchDb(): Promise<ScratchDatabase> {
  const db = await createScratchDatabase(adminUrl);
  cleanups.push(db.drop);
  return db;
}

/** A private copy of prisma/migrations that a test may edit. */
function migrationsCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "promptgate-migrations-"));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

type Row = {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
};

function rows(url: string): Promise<Row[]> {
  return withClient(url, async (c) => (await c.query<Row>(`SELECT * FROM "_prisma_migrations" ORDER BY started_at`)).rows);
}

describe("migration runner", () => {
  it("applies every migration once, and a second run applies nothing", async () => {
    const db = await scratchDb();
    expect(await migrationStatus(db.url, MIGRATIONS_DIR)).toEqual({ upToDate: false, pending: onDisk, failed: [] });

    expect(await applyMigrations({ connectionString: db.url, migrationsDir: MIGRATIONS_DIR })).toEqual({ applied: onDisk, skipped: [] });
    expect(await applyMigrations({ connectionString: db.url, migrationsDir: MIGRATIONS_DIR })).toEqual({ applied: [], skipped: onDisk });
    expect(await rows(db.url)).toHaveLength(onDisk.length);
    expect(await migrationStatus(db.url, MIGRATIONS_DIR)).toEqual({ upToDate: true, pending: [], failed: [] });
  });

  it("keeps its books in exactly Prisma's _prisma_migrations format", async () => {
    const db = await scratchDb();
    await applyMigrations({ connectionString: db.url, migrationsDir: MIGRATIONS_DIR });

    const columns = await withClient(db.url, async (c) =>
      (
        await c.query(
          `SELECT column_name, data_type, character_maximum_length AS length, is_nullable, column_default
             FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
        )
      ).rows,
    );
    expect(columns).toEqual([
      { column_name: "id", data_type: "character varying", length: 36, is_nullable: "NO", column_default: null },
      { column_name: "checksum", data_type: "character varying", length: 64, is_nullable: "NO", column_default: null },
      { column_name: "finished_at", data_type: "timestamp with time zone", length: null, is_nullable: "YES", column_default: null },
      { column_name: "migration_name", data_type: "character varying", length: 255, is_nullable: "NO", column_default: null },
      { column_name: "logs", data_type: "text", length: null, is_nullable: "YES", column_default: null },
      { column_name: "rolled_back_at", data_type: "timestamp with time zone", length: null, is_nullable: "YES", column_default: null },
      { column_name: "started_at", data_type: "timestamp with time zone", length: null, is_nullable: "NO", column_default: "now()" },
      { column_name: "applied_steps_count", data_type: "integer", length: null, is_nullable: "NO", column_default: "0" },
    ]);

    const recorded = await rows(db.url);
    expect(recorded.map((r) => r.migration_name)).toEqual(onDisk);
    for (const row of recorded) {
      const sql = readFileSync(join(MIGRATIONS_DIR, row.migration_name, "migration.sql"));
      expect(row.checksum).toBe(createHash("sha256").update(sql).digest("hex"));
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(row.applied_steps_count).toBe(1);
      expect(row.logs).toBeNull();
      expect(row.rolled_back_at).toBeNull();
      expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
    }
  });

  it("refuses to run when an applied migration's file was edited", async () => {
    const db = await scratchDb();
    const dir = migrationsCopy();
    await applyMigrations({ connectionString: db.url, migrationsDir: dir });

    appendFileSync(join(dir, first, "migration.sql"), '\nALTER TABLE "User" ADD COLUMN "sneaky" TEXT;\n');
    const run = applyMigrations({ connectionString: db.url, migrationsDir: dir });
    await expect(run).rejects.toThrow(MigrationError);
    await expect(run).rejects.toThrow(`migration ${first} was modified after it was applied`);
  });

  it("accepts a migration whose line endings git converted, as Prisma does", async () => {
    const db = await scratchDb();
    const dir = migrationsCopy();
    await applyMigrations({ connectionString: db.url, migrationsDir: dir });

    const file = join(dir, first, "migration.sql");
    writeFileSync(file, readFileSync(file, "utf8").replaceAll("\n", "\r\n"));
    expect(await applyMigrations({ connectionString: db.url, migrationsDir: dir })).toEqual({ applied: [], skipped: onDisk });
  });

  it("applies each migration exactly once when several instances start at the same moment", async () => {
    const db = await scratchDb();
    const runs = await Promise.all(
      Array.from({ length: 4 }, () => applyMigrations({ connectionString: db.url, migrationsDir: MIGRATIONS_DIR })),
    );
    expect(runs.flatMap((r) => r.applied).sort()).toEqual(onDisk);
    expect((await rows(db.url)).map((r) => r.migration_name)).toEqual(onDisk);
  });

  it("records a failed migration, rolls it back, and blocks later runs until it is resolved", async () => {
    const db = await scratchDb();
    const dir = migrationsCopy();
    const broken = "29990101000000_broken";
    mkdirSync(join(dir, broken));
    writeFileSync(join(dir, broken, "migration.sql"), 'CREATE TABLE "Broken" ("id" INTEGER);\nSELECT * FROM "does_not_exist";\n');

    await expect(applyMigrations({ connectionString: db.url, migrationsDir: dir })).rejects.toThrow(
      `migration ${broken} failed and was rolled back: relation "does_not_exist" does not exist`,
    );
    const failed = (await rows(db.url)).find((r) => r.migration_name === broken)!;
    expect(failed).toMatchObject({ finished_at: null, rolled_back_at: null, applied_steps_count: 0 });
    expect(failed.logs).toContain('relation "does_not_exist" does not exist');
    const brokenTable = await withClient(db.url, async (c) => (await c.query(`SELECT to_regclass('"Broken"') AS t`)).rows[0].t);
    expect(brokenTable).toBeNull();
    expect(await migrationStatus(db.url, dir)).toEqual({ upToDate: false, pending: [broken], failed: [broken] });

    const blocked = applyMigrations({ connectionString: db.url, migrationsDir: dir });
    await expect(blocked).rejects.toThrow(`migration ${broken} failed on an earlier run`);
    await expect(blocked).rejects.toThrow(`SET rolled_back_at = now() WHERE migration_name = '${broken}'`);

    // The documented way out: fix the file, mark the attempt rolled back, run again.
    writeFileSync(join(dir, broken, "migration.sql"), 'CREATE TABLE "Broken" ("id" INTEGER);\n');
    await withClient(db.url, (c) =>
      c.query(`UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = $1 AND finished_at IS NULL`, [broken]),
    );
    expect(await applyMigrations({ connectionString: db.url, migrationsDir: dir })).toEqual({ applied: [broken], skipped: onDisk });
  });

  it("warns, but carries on, when the database has a migration the folder lacks (an older build)", async () => {
    const db = await scratchDb();
    await applyMigrations({ connectionString: db.url, migrationsDir: MIGRATIONS_DIR });
    const dir = migrationsCopy();
    const newest = onDisk.at(-1)!;
    rmSync(join(dir, newest), { recursive: true });

    const messages: string[] = [];
    const result = await applyMigrations({ connectionString: db.url, migrationsDir: dir, log: (m) => messages.push(m) });
    expect(result.applied).toEqual([]);
    expect(messages).toContainEqual(expect.stringContaining(`migration ${newest} is applied in the database but missing from the migrations folder`));
  });
});
