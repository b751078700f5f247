// Migration 20261207230000_workspaces on a database that the first-start seed
// and demo data of the last release without workspaces filled (lead17's
// prisma/seed.ts run for real, plus an editor, a viewer, a disabled admin, a
// quota policy, a global variable and a request log row): how that fixture is
// made is in tests/fixtures/pre-workspaces/README.md.
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, inject, it } from "vitest";
import { applyMigrations } from "@/lib/db/migrate";
import { createScratchDatabase, MIGRATIONS_DIR, ROOT, withClient, type ScratchDatabase } from "../../support/postgres.ts";

const MIGRATION = "20261207230000_workspaces";
const DEFAULT = "00000000-0000-0000-0000-000000000001";
const adminUrl = inject("adminDatabaseUrl");
const fixture = JSON.parse(gunzipSync(readFileSync(`${ROOT}tests/fixtures/pre-workspaces/seed.json.gz`)).toString("utf8")) as Record<string, Record<string, unknown>[]>;

// Parents before children (the foreign keys of the pre-workspace schema). Rows the migrations insert themselves (prices) conflict and are skipped.
const ORDER = ["User", "ApiKey", "Prompt", "PromptVersion", "PromptLabel", "Experiment", "ExperimentPhase", "ExperimentVariant", "ExperimentExposure", "QuotaPolicy"];
const tables = Object.keys(fixture).sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99));

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

/** A database at the last migration before workspaces, filled with the fixture. */
async function preWorkspaceDatabase(): Promise<ScratchDatabase> {
  const db = await createScratchDatabase(adminUrl);
  cleanups.push(db.drop);
  const dir = mkdtempSync(join(tmpdir(), "promptgate-pre-ws-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  for (const name of readdirSync(dir)) if (name >= MIGRATION) rmSync(join(dir, name), { recursive: true, force: true });
  await applyMigrations({ connectionString: db.url, migrationsDir: dir });
  await withClient(db.url, async (c) => {
    for (const t of tables) {
      await c.query(`INSERT INTO "${t}" SELECT * FROM json_populate_recordset(NULL::"${t}", $1::json) ON CONFLICT DO NOTHING`, [JSON.stringify(fixture[t])]);
    }
  });
  return db;
}

const count = (url: string, sql: string, values: unknown[] = []) =>
  withClient(url, async (c) => Number((await c.query<{ n: string }>(sql, values)).rows[0]!.n));

describe("migration 20261207230000_workspaces", () => {
  it("moves every row of a seeded database with demo data into Default, keeps each user's role there, and makes admins instance admins", async () => {
    const db = await preWorkspaceDatabase();
    const rollupBefore = await withClient(db.url, async (c) => (await c.query(`SELECT sum(requests)::int AS r, sum("costUsd")::text AS c FROM "UsageRollupHour"`)).rows[0]);

    // This migration first; the ones after it (outbox, budgets, …) apply with it.
    expect((await applyMigrations({ connectionString: db.url, migrationsDir: MIGRATIONS_DIR })).applied[0]).toBe(MIGRATION);

    await withClient(db.url, async (c) => {
      expect((await c.query(`SELECT id, name, slug, "allowedModels" FROM "Workspace"`)).rows).toEqual([{ id: DEFAULT, name: "Default", slug: "default", allowedModels: [] }]);

      // Everything a workspace owns is in Default, and nothing was lost.
      for (const t of ["ApiKey", "Prompt", "GlobalVariable", "Experiment", "Feedback", "QuotaPolicy", "RequestLog", "UsageEvent", "UsageRollupHour", "UsageRollupDay"]) {
        const { rows } = await c.query<{ total: number; in_default: number }>(
          `SELECT count(*)::int AS total, (count(*) FILTER (WHERE "workspaceId" = $1))::int AS in_default FROM "${t}"`, [DEFAULT]);
        expect({ t, ...rows[0] }).toEqual({ t, total: fixture[t]!.length, in_default: fixture[t]!.length });
      }
      expect(fixture.UsageEvent!.length).toBe(1600);
      expect((await c.query(`SELECT sum(requests)::int AS r, sum("costUsd")::text AS c FROM "UsageRollupHour"`)).rows[0]).toEqual(rollupBefore);

      // Each user keeps their role, in Default; admins (the disabled one too) are instance admins.
      const users = (await c.query<{ email: string; role: string; instanceAdmin: boolean; member: string | null }>(
        `SELECT u.email, u.role::text, u."instanceAdmin", m.role::text AS member
           FROM "User" u LEFT JOIN "Membership" m ON m."userId" = u.id AND m."workspaceId" = $1 ORDER BY u.email`, [DEFAULT])).rows;
      expect(users).toEqual([
        { email: "admin@example.test", role: "admin", instanceAdmin: true, member: "admin" },
        { email: "editor@example.test", role: "editor", instanceAdmin: false, member: "editor" },
        { email: "gone@example.test", role: "admin", instanceAdmin: true, member: "admin" },
        { email: "viewer@example.test", role: "viewer", instanceAdmin: false, member: "viewer" },
      ]);

      // Audit entries about team-owned things belong to Default; the instance's (accounts, users) to none.
      const audit = (await c.query<{ targetType: string; ws: string | null }>(
        `SELECT DISTINCT "targetType", "workspaceId"::text AS ws FROM "AuditLog" ORDER BY 1`)).rows;
      expect(audit.length).toBeGreaterThan(3);
      for (const a of audit) expect({ ...a }).toEqual({ targetType: a.targetType, ws: ["account", "user", "ModelPrice", "setting"].includes(a.targetType) ? null : DEFAULT });
      expect(audit.map((a) => a.targetType)).toEqual(expect.arrayContaining(["account", "apiKey", "prompt", "user", "experiment"]));

      // A prompt name is unique per workspace, not across them.
      const name = (await c.query<{ name: string }>(`SELECT name FROM "Prompt" LIMIT 1`)).rows[0]!.name;
      await c.query(`INSERT INTO "Workspace" (id, name, slug, "updatedAt") VALUES ('00000000-0000-4000-8000-00000000000b', 'B', 'b', now())`);
      await c.query(`INSERT INTO "Prompt" (name, "workspaceId", "updatedAt") VALUES ($1, '00000000-0000-4000-8000-00000000000b', now())`, [name]);
      await expect(c.query(`INSERT INTO "Prompt" (name, "updatedAt") VALUES ($1, now())`, [name])).rejects.toThrow(/Prompt_workspaceId_name_key/);
      await c.query(`INSERT INTO "GlobalVariable" (name, value, "workspaceId", "updatedAt") VALUES ('company', '"B Corp"', '00000000-0000-4000-8000-00000000000b', now())`);
    });
    expect(await count(db.url, `SELECT count(*) AS n FROM "Membership"`)).toBe(4);
  });
});
