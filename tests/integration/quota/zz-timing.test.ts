import { it } from "vitest";
import { randomUUID } from "node:crypto";
import { pool, closeDb } from "@/lib/db";
import { createPolicy, stopSweeper } from "@/lib/quota";
import { newKey, system, unique } from "./helpers";
it("times reserve", async () => {
  const k = await newKey();
  const p = await createPolicy(system, { name: unique("t"), scope: "key", apiKeyId: k.id, requestsPerMinute: 100_000_000, tokensPerMinute: 2_000_000_000, tokensPerDay: 2_000_000_000 });
  const now = Date.now();
  const args = () => [randomUUID(), unique("c"), new Date(now + 100000), [p.id, p.id], [k.id, k.id], ["minute", "day"], [new Date(Math.floor(now / 60000) * 60000), new Date(Math.floor(now / 86400000) * 86400000)], [30, 30], ["0", "0"]];
  const sql = `SELECT * FROM quota_reserve($1::uuid, $2::text, $3::timestamptz, $4::uuid[], $5::text[], $6::text[], $7::timestamptz[], $8::bigint[], $9::numeric[])`;
  const time = async (label: string, q: string, a: () => unknown[]) => {
    for (let i = 0; i < 100; i++) await pool().query(q, a());
    const t: number[] = [];
    for (let i = 0; i < 500; i++) { const s = performance.now(); await pool().query(q, a()); t.push(performance.now() - s); }
    t.sort((x, y) => x - y);
    console.log(`${label} p50 ${t[250]!.toFixed(3)} p99 ${t[495]!.toFixed(3)}`);
  };
  await time("reserve", sql, args);
  await time("select1", "SELECT 1", () => []);
  stopSweeper(); await closeDb();
}, 120_000);
