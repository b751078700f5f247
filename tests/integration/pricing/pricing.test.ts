// Prices take effect from their date, never before and never retroactively:
// each event is priced when it is written, with the row in force at its time.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb } from "@/lib/db";
import { createPrice, deleteScheduledPrice, listPrices, loadPrices } from "@/lib/pricing";
import { writeBatch, type UsageEventInput } from "@/lib/usage";

const admin = { kind: "user", user: { id: "00000000-0000-4000-8000-0000000000aa", email: "pricing-admin@test", name: "Pricing Admin", role: "admin" } } as const;
const MODEL = `pt-model-${Date.now()}`;

let seq = 0;
const event = (at: number, model = MODEL): UsageEventInput => ({
  completionId: `pricing-${MODEL}-${seq++}`, createdAt: new Date(at), apiKeyId: null, endUser: null, accountId: null, provider: "openai",
  requestedModel: model, servedModel: model, inputTokens: 1_000_000, outputTokens: 500_000, cachedTokens: 200_000,
  latencyMs: 100, ttftMs: null, status: "ok", errorCode: null, stream: false, attempts: 1,
});

describe("model pricing", () => {
  let sql: pg.Pool;
  beforeAll(() => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  });
  afterAll(async () => {
    await sql?.end();
    await closeDb();
  });

  async function costOf(completionId: string): Promise<{ cost: number; known: boolean }> {
    const { rows } = await sql.query(`SELECT "costUsd"::float8 AS cost, "priceKnown" AS known FROM "UsageEvent" WHERE "completionId" = $1`, [completionId]);
    return rows[0];
  }

  it("prices each event with the row in force at the event's own time", async () => {
    const t1 = Date.UTC(2034, 0, 1);
    const t2 = Date.UTC(2034, 6, 1);
    // Seeded straight in the table, on dates of their own, so events can sit on either side of them.
    await sql.query(
      `INSERT INTO "ModelPrice" (model, "inputPerMTok", "outputPerMTok", "cachedInputPerMTok", "effectiveFrom") VALUES ($1, 2, 8, 1, $2), ($1, 1, 4, NULL, $3)`,
      [MODEL, new Date(t1), new Date(t2)],
    );
    await loadPrices(true);
    const before = event(t1 - 1);
    const atStart = event(t1);
    const between = event(t2 - 1);
    const after = event(t2 + 86_400_000);
    await writeBatch([before, atStart, between, after]);
    // Before any price: unknown, free, and flagged.
    expect(await costOf(before.completionId)).toEqual({ cost: 0, known: false });
    // 800k uncached input at $2 + 200k cached at $1 + 500k output at $8.
    expect((await costOf(atStart.completionId)).cost).toBeCloseTo(1.6 + 0.2 + 4, 8);
    expect((await costOf(between.completionId)).cost).toBeCloseTo(5.8, 8);
    // The newer row has no cached rate: cached input is billed at the input rate.
    expect((await costOf(after.completionId)).cost).toBeCloseTo(1 + 2, 8);
  });

  it("never changes the cost of stored events when a new price is added", async () => {
    const at = Date.now() - 60_000;
    const model = `${MODEL}-retro`;
    await sql.query(`INSERT INTO "ModelPrice" (model, "inputPerMTok", "outputPerMTok", "effectiveFrom") VALUES ($1, 3, 3, $2)`, [model, new Date(at - 3_600_000)]);
    await loadPrices(true);
    const old = event(at, model);
    await writeBatch([old]);
    const was = await costOf(old.completionId);
    const effectiveFrom = new Date(Date.now() + 1500);
    await createPrice(admin, { model, inputPerMTok: 30, outputPerMTok: 30, cachedInputPerMTok: "", effectiveFrom });
    expect(await costOf(old.completionId)).toEqual(was);
    // Events after the new date get the new price at once: the change is broadcast, no cache wait.
    await new Promise((r) => setTimeout(r, 1600));
    const fresh = event(Date.now(), model);
    await writeBatch([fresh]);
    expect((await costOf(fresh.completionId)).cost).toBeCloseTo(45, 6);
    expect(was.cost).toBeCloseTo(4.5, 6);
  });

  it("refuses a price dated in the past, and records every change in the audit log", async () => {
    await expect(createPrice(admin, { model: MODEL, inputPerMTok: 1, outputPerMTok: 1, effectiveFrom: new Date(Date.now() - 3_600_000) })).rejects.toMatchObject({
      code: "validation_error",
      details: { param: "effectiveFrom" },
    });
    await expect(createPrice(admin, { model: "bad model name!", inputPerMTok: 1, outputPerMTok: 1, effectiveFrom: new Date() })).rejects.toThrow();
    const model = `${MODEL}-retro`;
    const scheduled = await createPrice(admin, { model, inputPerMTok: 9, outputPerMTok: 9, effectiveFrom: new Date(Date.now() + 86_400_000) });
    // Newest first: tomorrow's, the one added in the previous test (now in force), the first one.
    const listed = (await listPrices()).filter((p) => p.model === model);
    expect(listed.map((p) => [p.inputPerMTok, p.state])).toEqual([[9, "scheduled"], [30, "current"], [3, "superseded"]]);
    await deleteScheduledPrice(admin, scheduled.id);
    const { rows } = await sql.query(`SELECT action, "actorEmail", "targetId" FROM "AuditLog" WHERE "targetId" = $1 ORDER BY "createdAt"`, [scheduled.id]);
    expect(rows).toEqual([
      { action: "usage.price.create", actorEmail: admin.user.email, targetId: scheduled.id },
      { action: "usage.price.delete", actorEmail: admin.user.email, targetId: scheduled.id },
    ]);
  });

  it("keeps prices that are already in effect: only scheduled ones may be deleted", async () => {
    const { rows } = await sql.query(`SELECT id FROM "ModelPrice" WHERE model = $1 ORDER BY "effectiveFrom" LIMIT 1`, [`${MODEL}-retro`]);
    await expect(deleteScheduledPrice(admin, rows[0].id)).rejects.toMatchObject({ code: "conflict" });
    expect((await sql.query(`SELECT 1 FROM "ModelPrice" WHERE id = $1`, [rows[0].id])).rowCount).toBe(1);
  });
});
