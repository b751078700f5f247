import "server-only";
import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import type pg from "pg";
import { boundedQuery, databaseDown, withinReach } from "@/lib/db";

export type Readiness = { ok: boolean; database: "ok" | "unreachable"; migrations: "ok" | "pending" | "unknown"; pending?: string[] };

// Probes must be answered before a load balancer's own probe timeout (often 1 to 2 s), so a database
// that is gone or frozen says 503 within this bound, never by the prober giving up (faults #14.3).
export const READINESS_TIMEOUT_MS = 800;

const MIGRATIONS_SQL = `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;
const UNREACHABLE: Readiness = { ok: false, database: "unreachable", migrations: "unknown" };

function migrationsOnDisk(dir = join(/*turbopackIgnore: true*/ process.cwd(), "prisma/migrations")): string[] {
  if (!existsSync(/*turbopackIgnore: true*/ dir)) return [];
  return readdirSync(/*turbopackIgnore: true*/ dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
}

// One probe query at a time per process, however many probes arrive: while the database is frozen
// every prober would otherwise park a query (and a pool client) of its own.
type Probe = { started: number; result: Promise<Set<string> | null> };
let inFlight: Probe | undefined;
let lastFailedAt = 0;
// The migrations of the last probe that got through: what a probe reports when the database is busy
// rather than gone (it answered others within the bound, but the probe's query did not get through).
let lastApplied: Set<string> | undefined;

function probeDatabase(timeoutMs: number): Probe {
  if (inFlight) return inFlight;
  const probe: Probe = {
    started: performance.now(),
    result: boundedQuery<{ migration_name: string }>(MIGRATIONS_SQL, [], { ms: timeoutMs, until: "elapsed" }).then(
      ({ rows }) => new Set(rows.map((r) => r.migration_name)),
      () => {
        if (databaseDown()) lastFailedAt = performance.now();
        return null;
      },
    ),
  };
  inFlight = probe;
  void probe.result.finally(() => {
    if (inFlight === probe) inFlight = undefined;
  });
  return probe;
}

/**
 * Database reachable and every migration on disk applied: one query, answered within `timeoutMs`.
 * Probes share the query in flight; while one that began after the last failure is still running,
 * a new probe answers unreachable at once (the database just failed and has not answered since).
 * A probe whose query does not get through in time while the database keeps answering others (a
 * saturated pool) reports the last migrations seen: busy is not down, and taking a busy instance out
 * of rotation would only move its load to the others.
 */
export async function readiness(
  { timeoutMs = READINESS_TIMEOUT_MS, client, migrationsDir }: { timeoutMs?: number; client?: Pick<pg.Pool, "query">; migrationsDir?: string } = {},
): Promise<Readiness> {
  const expected = migrationsOnDisk(migrationsDir);
  let applied: Set<string> | null;
  if (client) {
    applied = await withinReach(client.query<{ migration_name: string }>(MIGRATIONS_SQL), { ms: timeoutMs, until: "elapsed" }).then(
      ({ rows }) => new Set(rows.map((r) => r.migration_name)),
      () => null,
    );
  } else {
    const failing = inFlight !== undefined && lastFailedAt > 0 && inFlight.started >= lastFailedAt;
    if (failing) return UNREACHABLE;
    const probe = probeDatabase(timeoutMs);
    applied = await withinReach(probe.result, { ms: timeoutMs, until: "elapsed" }).catch(() => null);
    if (applied) lastApplied = applied;
    else if (lastApplied && !databaseDown()) applied = lastApplied;
  }
  if (!applied) return UNREACHABLE;
  const pending = expected.filter((m) => !applied.has(m));
  return pending.length ? { ok: false, database: "ok", migrations: "pending", pending } : { ok: true, database: "ok", migrations: "ok" };
}
