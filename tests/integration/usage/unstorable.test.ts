// Client text Postgres cannot store (NUL, unpaired surrogates) must neither fail
// a request with a 500 nor, in a usage batch, hold up every event behind it.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb, db } from "@/lib/db";
import { metrics } from "@/lib/observability";
import { setGlobalVariable } from "@/lib/prompts";
import { flushUsage, recordUsage, type UsageEventInput } from "@/lib/usage";

const system = { kind: "system", name: "test" } as const;
const run = Date.now().toString(36);

function event(id: string, over: Partial<UsageEventInput> = {}): UsageEventInput {
  return {
    completionId: `unstorable-${run}-${id}`, createdAt: new Date(), apiKeyId: null, endUser: null, accountId: null, provider: "openai",
    requestedModel: "gpt-4o-mini", servedModel: "gpt-4o-mini", inputTokens: 10, outputTokens: 5, cachedTokens: 0, latencyMs: 100,
    ttftMs: null, status: "ok", errorCode: null, stream: false, attempts: 1, ...over,
  };
}

describe("values Postgres cannot store", () => {
  let sql: pg.Pool;
  beforeAll(() => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  });
  afterAll(async () => {
    await sql?.end();
    await closeDb();
  });

  const stored = async (suffix: string) =>
    (await sql.query(`SELECT "endUser", "requestedModel", metadata FROM "UsageEvent" WHERE "completionId" = $1`, [`unstorable-${run}-${suffix}`])).rows[0];

  it("stores a usage event's client text with U+FFFD in place of NUL and lone surrogates", async () => {
    recordUsage(event("text", { endUser: "ann\u0000", requestedModel: "gpt\uD800-x", servedModel: null, metadata: { "team\u0000": "a\uDC00b" } }));
    await flushUsage(10_000);
    expect(await stored("text")).toEqual({ endUser: "ann\uFFFD", requestedModel: "gpt\uFFFD-x", metadata: { "team\uFFFD": "a\uFFFDb" } });
  });

  it("writes the rest of a batch when Postgres refuses one event's data, and counts the refused one", async () => {
    const refused = async () => (await metrics().registry.getSingleMetric("promptgate_usage_events_refused_total")!.get()).values[0]?.value ?? 0;
    const before = await refused();
    // 3 billion does not fit the int4 column: Postgres answers 22003 (numeric value out of range) for the whole batch.
    for (const [id, tokens] of [["a", 1], ["b", 3_000_000_000], ["c", 2], ["d", 3]] as const) recordUsage(event(id, { inputTokens: tokens }));
    await flushUsage(10_000); // returns: the queue is empty, so nothing is left retrying
    const { rows } = await sql.query<{ completionId: string }>(`SELECT "completionId" FROM "UsageEvent" WHERE "completionId" = ANY($1) ORDER BY 1`, [
      ["a", "b", "c", "d"].map((s) => `unstorable-${run}-${s}`),
    ]);
    expect(rows.map((r) => r.completionId.slice(-1))).toEqual(["a", "c", "d"]);
    expect(await refused()).toBe(before + 1);
  });

  it("stores console input with U+FFFD instead of failing, and looks such a value up without an error", async () => {
    const g = await setGlobalVariable(system, { name: `nul_${run}`, value: { text: "a\u0000b", odd: "\uD800" }, description: "with a NUL\u0000" });
    expect(g.value).toEqual({ text: "a\uFFFDb", odd: "\uFFFD" });
    const row = await db.globalVariable.findUniqueOrThrow({ where: { workspaceId_name: { workspaceId: "00000000-0000-0000-0000-000000000001", name: `nul_${run}` } } });
    expect(row.description).toBe("with a NUL\uFFFD");
    expect(await db.globalVariable.findUnique({ where: { workspaceId_name: { workspaceId: "00000000-0000-0000-0000-000000000001", name: `nul_${run}\u0000` } } })).toBeNull();
  });
});
