// The rollups against the raw events they summarise: after randomised batches
// (hour-boundary straddles, late events, retried batches, concurrent writers)
// every hourly and daily row equals what SQL computes from UsageEvent alone.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb } from "@/lib/db";
import { rebuildRollups, rollupFromEventsSql, ROLLUP_COLUMNS, ROLLUP_TABLE, type Grain } from "@/lib/usage/rollups";
// The writer module alone, as a seed or script would import it: the rollups must not depend on lib/usage's index.
import { writeBatch, type UsageEventInput } from "@/lib/usage/writer";
import { seededRandom as rng } from "../../support/random";

const FROM = new Date(Date.UTC(2031, 2, 1));
const TO = new Date(Date.UTC(2031, 2, 8));
const HOUR = 3_600_000;

const KEYS = ["a1111111-1111-4111-8111-111111111111", "a2222222-2222-4222-8222-222222222222", null];
const ACCOUNTS = ["b1111111-1111-4111-8111-111111111111", null];
const VERSIONS = ["c1111111-1111-4111-8111-111111111111", null];
const VARIANTS = ["d1111111-1111-4111-8111-111111111111", null];
const MODELS = ["gpt-4o-mini", "claude-3-5-haiku-20241022", "sim-small", "unpriced-model"];
const STATUSES = ["ok", "ok", "ok", "ok", "upstream_error", "client_aborted", "rejected", "error"] as const;
const SURFACES = ["chat", "chat", "messages", "responses", "embeddings", "completion"] as const;


let seq = 0;
function events(rand: () => number, n: number, times: () => number): UsageEventInput[] {
  const pick = <T,>(a: readonly T[]) => a[Math.floor(rand() * a.length)]!;
  return Array.from({ length: n }, () => {
    const status = pick(STATUSES);
    const model = pick(MODELS);
    return {
      completionId: `rollup-test-${seq++}`, createdAt: new Date(times()), apiKeyId: pick(KEYS), endUser: null, surface: pick(SURFACES),
      accountId: pick(ACCOUNTS), provider: "openai", requestedModel: model, servedModel: rand() < 0.8 ? model : null,
      promptVersionId: pick(VERSIONS), variantId: pick(VARIANTS), experimentId: null,
      inputTokens: Math.floor(rand() * 5000), outputTokens: Math.floor(rand() * 2000), cachedTokens: Math.floor(rand() * 100),
      latencyMs: Math.floor(Math.exp(rand() * 12)), ttftMs: rand() < 0.5 ? Math.floor(rand() * 3000) : null,
      status, errorCode: status === "ok" ? null : status, stream: rand() < 0.5, attempts: 1,
    };
  });
}

describe("usage rollups", () => {
  let sql: pg.Pool;

  beforeAll(() => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
  });
  afterAll(async () => {
    await sql?.end();
    await closeDb();
  });

  type Row = Record<string, unknown>;
  const norm = (rows: Row[]) =>
    rows
      .map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : k === "costUsd" ? Number(v).toFixed(8) : Array.isArray(v) ? v.map(Number) : String(v)]))))
      .sort();

  async function stored(grain: Grain): Promise<string[]> {
    const { rows } = await sql.query(`SELECT ${ROLLUP_COLUMNS} FROM "${ROLLUP_TABLE[grain]}" WHERE bucket >= $1 AND bucket < $2`, [FROM, TO]);
    return norm(rows);
  }
  async function expected(grain: Grain): Promise<string[]> {
    const { rows } = await sql.query(rollupFromEventsSql(grain), [FROM, TO]);
    return norm(rows);
  }
  async function rawTotals() {
    const { rows } = await sql.query(
      `SELECT count(*)::int AS requests, sum("inputTokens")::int8 AS input, sum("outputTokens")::int8 AS output, sum("costUsd")::text AS cost
         FROM "UsageEvent" WHERE "createdAt" >= $1 AND "createdAt" < $2`,
      [FROM, TO],
    );
    return rows[0];
  }
  async function rollupTotals(grain: Grain) {
    const { rows } = await sql.query(
      `SELECT sum(requests)::int AS requests, sum("inputTokens")::int8 AS input, sum("outputTokens")::int8 AS output, sum("costUsd")::text AS cost
         FROM "${ROLLUP_TABLE[grain]}" WHERE bucket >= $1 AND bucket < $2`,
      [FROM, TO],
    );
    return rows[0];
  }

  it("equal the raw events after randomised, boundary-straddling, late, retried and concurrent batches", async () => {
    const rand = rng(42);
    const span = TO.getTime() - FROM.getTime();
    const anywhere = () => FROM.getTime() + Math.floor(rand() * span);
    // Within a millisecond or two of an hour boundary, on either side.
    const boundary = () => {
      const h = FROM.getTime() + (1 + Math.floor(rand() * (span / HOUR - 2))) * HOUR;
      return h + [-2, -1, 0, 1][Math.floor(rand() * 4)]!;
    };

    // 1. Plain batches, in time order.
    for (let i = 0; i < 4; i++) await writeBatch(events(rand, 300, anywhere));
    // 2. Events straddling hour (and day) boundaries.
    await writeBatch(events(rand, 400, boundary));
    // 3. Late events: a batch for hours that already have rows.
    await writeBatch(events(rand, 300, () => FROM.getTime() + Math.floor(rand() * 6 * HOUR)));
    // 4. A retried batch: the same events again (plus new ones) must count once.
    const retried = events(rand, 200, anywhere);
    await writeBatch(retried);
    await writeBatch([...retried, ...events(rand, 50, boundary)]);
    // 5. Concurrent writers hitting the same rollup rows at once.
    const hot = () => FROM.getTime() + 12 * HOUR + Math.floor(rand() * 2 * HOUR);
    await Promise.all(Array.from({ length: 8 }, () => writeBatch(events(rand, 250, hot))));
    // 6. And concurrent writers all over the range, with duplicates across them.
    const shared = events(rand, 100, boundary);
    await Promise.all([writeBatch([...shared, ...events(rand, 200, anywhere)]), writeBatch([...shared, ...events(rand, 200, anywhere)]), writeBatch(shared)]);

    const { rows } = await sql.query(`SELECT count(*)::int AS n FROM "UsageEvent" WHERE "createdAt" >= $1 AND "createdAt" < $2`, [FROM, TO]);
    expect(rows[0].n).toBe(4 * 300 + 400 + 300 + 200 + 50 + 8 * 250 + 100 + 400);

    for (const grain of ["hour", "day"] as const) {
      const [got, want] = await Promise.all([stored(grain), expected(grain)]);
      expect(got.length).toBeGreaterThan(0);
      expect(got).toEqual(want);
      expect(await rollupTotals(grain)).toEqual(await rawTotals());
    }
  });

  it("survive many concurrent writers on a handful of rows without deadlocking or losing counts", async () => {
    const rand = rng(7);
    const at = FROM.getTime() + 3 * 24 * HOUR + 30 * 60_000;
    const before = await rollupTotals("hour");
    const batches = Array.from({ length: 16 }, () => events(rand, 120, () => at + Math.floor(rand() * 60_000)));
    await Promise.all(batches.map((b) => writeBatch(b)));
    const after = await rollupTotals("hour");
    expect(after.requests - before.requests).toBe(16 * 120);
    expect(await stored("hour")).toEqual(await expected("hour"));
    expect(await stored("day")).toEqual(await expected("day"));
  });

  it("are rebuilt from the raw events to the same rows (repair is idempotent)", async () => {
    const before = { hour: await stored("hour"), day: await stored("day") };
    const client = await sql.connect();
    try {
      await rebuildRollups(client, FROM, TO);
    } finally {
      client.release();
    }
    expect(await stored("hour")).toEqual(before.hour);
    expect(await stored("day")).toEqual(before.day);
  });
});
