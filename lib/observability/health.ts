import "server-only";
import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import type pg from "pg";
import { pool } from "@/lib/db";

export type Readiness = { ok: boolean; database: "ok" | "unreachable"; migrations: "ok" | "pending" | "unknown"; pending?: string[] };

function migrationsOnDisk(dir = join(/*turbopackIgnore: true*/ process.cwd(), "prisma/migrations")): string[] {
  if (!existsSync(/*turbopackIgnore: true*/ dir)) return [];
  return readdirSync(/*turbopackIgnore: true*/ dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
}

/** Database reachable and every migration on disk applied: one query, with a timeout. */
export async function readiness(
  { timeoutMs = 2000, client, migrationsDir }: { timeoutMs?: number; client?: Pick<pg.Pool, "query">; migrationsDir?: string } = {},
): Promise<Readiness> {
  const expected = migrationsOnDisk(migrationsDir);
  try {
    const query = (client ?? pool()).query<{ migration_name: string }>(
      `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const timeout = new Promise<never>((_, rej) => setTimeout(() => rej(new Error("timeout")), timeoutMs).unref());
    const { rows } = await Promise.race([query, timeout]);
    const applied = new Set(rows.map((r) => r.migration_name));
    const pending = expected.filter((m) => !applied.has(m));
    return pending.length ? { ok: false, database: "ok", migrations: "pending", pending } : { ok: true, database: "ok", migrations: "ok" };
  } catch {
    return { ok: false, database: "unreachable", migrations: "unknown" };
  }
}
