import { afterAll, describe, expect, it } from "vitest";
import pg from "pg";
import { readiness } from "@/lib/observability";
import { closeDb } from "@/lib/db";

describe("readiness", () => {
  const pools: pg.Pool[] = [];
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await closeDb();
  });

  it("is ok on the migrated test database", async () => {
    expect(await readiness()).toEqual({ ok: true, database: "ok", migrations: "ok" });
  });

  it("reports pending migrations when a folder on disk has no row", async () => {
    const { mkdtempSync, mkdirSync, cpSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(`${tmpdir()}/pg-migrations-`);
    cpSync("prisma/migrations", dir, { recursive: true });
    mkdirSync(`${dir}/29990101000000_future`);
    const r = await readiness({ migrationsDir: dir });
    expect(r).toEqual({ ok: false, database: "ok", migrations: "pending", pending: ["29990101000000_future"] });
  });

  it("reports an unreachable database within the timeout", async () => {
    const dead = new pg.Pool({ connectionString: "postgresql://x:y@127.0.0.1:9/none", connectionTimeoutMillis: 500 });
    dead.on("error", () => {});
    pools.push(dead);
    const t = Date.now();
    expect(await readiness({ client: dead, timeoutMs: 1500 })).toEqual({ ok: false, database: "unreachable", migrations: "unknown" });
    expect(Date.now() - t).toBeLessThan(3000);
  });
});
