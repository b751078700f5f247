// Finding 13.3: a flood of made-up API keys must not reach the database or grow
// memory. Reads are counted by Postgres itself (index and sequential scans of
// "ApiKey" in pg_stat_user_tables), not by a counter of ours.
import { createHash, randomBytes, randomInt } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeyCacheStats, createApiKey, insertApiKey, verifyApiKey } from "@/lib/auth/api-keys";
import { closeDb } from "@/lib/db";

const system = { kind: "system", name: "test" } as const;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const randomKey = () => `pgk_${Array.from({ length: 40 }, () => ALPHABET[randomInt(62)]).join("")}`;

describe("API key flood (security #13.3)", () => {
  let sql: pg.Pool;
  let known: string;

  /** Index plus sequential scans of "ApiKey" so far, as Postgres counts them. */
  const keyTableReads = async (): Promise<number> =>
    Number((await sql.query<{ n: string }>(`SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) AS n FROM pg_stat_user_tables WHERE relname = 'ApiKey'`)).rows[0]!.n);
  // A backend publishes its counts about a second after it goes idle: wait until they stop moving.
  const settledKeyTableReads = async (): Promise<number> => {
    let last = await keyTableReads();
    for (;;) {
      await new Promise((r) => setTimeout(r, 1_500));
      const now = await keyTableReads();
      if (now === last) return now;
      last = now;
    }
  };

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
    known = (await createApiKey(system, { name: `flood-known-${randomBytes(3).toString("hex")}` })).key;
    expect((await verifyApiKey(known)).ok).toBe(true);
  });

  afterAll(async () => {
    await sql?.end();
    await closeDb();
  });

  it("security #13.3: a key inserted by another process, in any shape INIT_API_KEY allows, works without a restart", async () => {
    const key = `init-key-${randomBytes(12).toString("hex")}`;
    // As the seed (or an operator's SQL) would store it, from outside this process.
    await sql.query(`INSERT INTO "ApiKey" (name, prefix, hash, scopes) VALUES ($1, $2, $3, '{completions}')`, [
      "from another process", key.slice(0, 12), createHash("sha256").update(key).digest("hex"),
    ]);
    await expect.poll(async () => (await verifyApiKey(key)).ok).toBe(true);
    // And one inserted here works at once, before any notification comes back.
    const local = await insertApiKey({ name: "local", value: `local-key-${randomBytes(12).toString("hex")}` });
    expect((await verifyApiKey(local.key)).ok).toBe(true);
  });

  it("a key committed by another process is accepted on first use, before its announcement arrives", async () => {
    await expect.poll(() => apiKeyCacheStats().trusted, { timeout: 20_000 }).toBe(true);
    const key = `pgk_${randomBytes(20).toString("hex")}`;
    // Triggers off for this one insert: no announcement at all, the slowest a NOTIFY can be.
    const c = await sql.connect();
    try {
      await c.query("BEGIN");
      await c.query("SET LOCAL session_replication_role = replica");
      await c.query(`INSERT INTO "ApiKey" (name, prefix, hash, scopes) VALUES ($1, $2, $3, '{completions}')`, [
        "unannounced", key.slice(0, 12), createHash("sha256").update(key).digest("hex"),
      ]);
      await c.query("COMMIT");
    } finally {
      c.release();
    }
    expect((await verifyApiKey(key)).ok).toBe(true);
    expect(apiKeyCacheStats().trusted).toBe(true);
  });

  it("security #13.3: while the key set cannot be trusted (LISTEN dropped), unknown keys cost few concurrent reads and the rest are refused without one", async () => {
    await expect.poll(() => apiKeyCacheStats().trusted).toBe(true);
    const locker = await sql.connect();
    const flood: Promise<unknown>[] = [];
    try {
      // Hold every read of "ApiKey" (the set's reload included) at a lock, so reads in flight stay in flight.
      await locker.query("BEGIN");
      await locker.query(`LOCK TABLE "ApiKey" IN ACCESS EXCLUSIVE MODE`);
      // Drop this process's LISTEN connection: notifications sent meanwhile could be lost.
      await sql.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'promptgate-listen' AND datname = current_database()`);
      await expect.poll(() => apiKeyCacheStats().trusted).toBe(false);
      let settled = 0;
      for (let i = 0; i < 2_000; i++) flood.push(verifyApiKey(randomKey()).then((r) => (settled++, r)));
      const { maxMissReads } = apiKeyCacheStats();
      // All but the capped few are answered without waiting for the database.
      await expect.poll(() => settled).toBe(2_000 - maxMissReads);
      expect(apiKeyCacheStats().missReadsInFlight).toBe(maxMissReads);
      expect(maxMissReads).toBeLessThanOrEqual(8);
    } finally {
      await locker.query("ROLLBACK");
      locker.release();
    }
    expect((await Promise.all(flood)).every((r) => (r as { ok: boolean }).ok === false)).toBe(true);
    // LISTEN comes back and the set is reloaded: trusted again, and the known key still works.
    await expect.poll(() => apiKeyCacheStats().trusted, { timeout: 20_000 }).toBe(true);
    expect((await verifyApiKey(known)).ok).toBe(true);
  });

  it("security #13.3: 20,000 random well-formed keys cost (almost) no database reads and leave the key cache at or below its bound", async () => {
    await expect.poll(() => apiKeyCacheStats().trusted, { timeout: 20_000 }).toBe(true);
    const before = await settledKeyTableReads();
    const ownBefore = apiKeyCacheStats().missReadsTotal;
    const results: boolean[] = [];
    const t0 = performance.now();
    for (let batch = 0; batch < 200; batch++) {
      const checks = await Promise.all(Array.from({ length: 100 }, () => verifyApiKey(randomKey())));
      results.push(...checks.map((c) => c.ok));
    }
    const floodMs = performance.now() - t0;
    expect(results.filter(Boolean)).toEqual([]);
    expect(results).toHaveLength(20_000);
    const reads = (await settledKeyTableReads()) - before;
    const stats = apiKeyCacheStats();
    process.stdout.write(`20,000 random keys in ${floodMs.toFixed(0)} ms: ${reads} reads of "ApiKey" (${apiKeyCacheStats().missReadsTotal - ownBefore} by this process); cache ${stats.entries} keys + ${stats.misses} misses (bounds ${stats.maxEntries} + ${stats.maxMisses})\n`);
    // A trusted set reads unknown prefixes only at its trickle (2 at once, then one per 2 s), so that a key
    // committed elsewhere works before its announcement: this process's own reads for the flood, exactly.
    const own = apiKeyCacheStats().missReadsTotal - ownBefore;
    expect(own).toBeLessThanOrEqual(2 + Math.floor(floodMs / 2_000));
    // And as Postgres counts them: other test files share this database, so a little more, never thousands.
    expect(reads).toBeLessThanOrEqual(20);
    expect(stats.entries + stats.misses).toBeLessThanOrEqual(stats.maxEntries + stats.maxMisses);
    expect(stats.misses).toBeLessThanOrEqual(stats.maxMisses);
    // The known key is still served (from the cache: no read either).
    expect((await verifyApiKey(known)).ok).toBe(true);
  }, 120_000);
});
