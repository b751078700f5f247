// The Usage page's endpoint against the raw events: totals for ragged custom
// ranges, per bucket and per filter, equal what a plain SQL scan of UsageEvent
// says, whichever mix of daily rows, hourly rows and raw edges answered.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as dashboardGET } from "@/app/api/admin/usage/dashboard/route";
import { createApiKey } from "@/lib/auth/api-keys";
import { closeDb } from "@/lib/db";
import { bucketIndex } from "@/lib/usage/histogram";
import { usageDashboard, writeBatch, type UsageEventInput } from "@/lib/usage";
import type { UsageDashboard } from "@/lib/usage/types";
import { call } from "../../support/http";
import { seededRandom as rng } from "../../support/random";

const system = { kind: "system", name: "test" } as const;
const HOUR = 3_600_000;
const START = Date.UTC(2032, 4, 1);
const DAYS = 20;
const KEY_A = "e1111111-1111-4111-8111-111111111111";
const KEY_B = "e2222222-2222-4222-8222-222222222222";
const ACCOUNT = "f1111111-1111-4111-8111-111111111111";


describe("usage dashboard", () => {
  let sql: pg.Pool;
  let adminKey: string;
  let viewerlessKey: string;

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
    adminKey = (await createApiKey(system, { name: "usage-dashboard-admin", scopes: ["admin"] })).key;
    viewerlessKey = (await createApiKey(system, { name: "usage-dashboard-completions", scopes: ["completions"] })).key;
    await sql.query(`INSERT INTO "ProviderAccount" (id, name, provider, "updatedAt") VALUES ($1, 'dash-account', 'openai', now()) ON CONFLICT DO NOTHING`, [ACCOUNT]);
    const rand = rng(3);
    const batch: UsageEventInput[] = [];
    for (let i = 0; i < 6000; i++) {
      const ok = rand() < 0.9;
      batch.push({
        completionId: `dash-${i}`, createdAt: new Date(START + Math.floor(rand() * DAYS * 24 * HOUR)), apiKeyId: rand() < 0.6 ? KEY_A : KEY_B, endUser: null,
        accountId: ok ? ACCOUNT : null, provider: "openai", requestedModel: rand() < 0.5 ? "gpt-4o-mini" : "gpt-4o", servedModel: null,
        inputTokens: Math.floor(rand() * 2000), outputTokens: Math.floor(rand() * 800), cachedTokens: 0,
        latencyMs: Math.floor(50 + rand() * 4000), ttftMs: null, status: ok ? "ok" : "upstream_error", errorCode: null, stream: false, attempts: 1,
      });
    }
    for (let i = 0; i < batch.length; i += 1000) await writeBatch(batch.slice(i, i + 1000));
  });

  afterAll(async () => {
    await sql?.end();
    await closeDb();
  });

  async function raw(from: Date, to: Date, where = "", params: unknown[] = []) {
    const { rows } = await sql.query(
      `SELECT count(*)::int AS requests, count(*) FILTER (WHERE status <> 'ok')::int AS errors, COALESCE(sum("inputTokens"), 0)::int8 AS input,
              COALESCE(sum("outputTokens"), 0)::int8 AS output, COALESCE(sum("costUsd"), 0)::float8 AS cost,
              percentile_disc(0.95) WITHIN GROUP (ORDER BY "latencyMs") FILTER (WHERE status = 'ok') AS p95
         FROM "UsageEvent" WHERE "createdAt" >= $1 AND "createdAt" < $2 ${where}`,
      [from, to, ...params],
    );
    const r = rows[0];
    return { requests: r.requests, errors: r.errors, inputTokens: Number(r.input), outputTokens: Number(r.output), costUsd: r.cost, p95: r.p95 as number | null };
  }

  const ragged = [
    { name: "3 days with ragged edges, day buckets", from: Date.UTC(2032, 4, 2, 10, 17, 3), to: Date.UTC(2032, 4, 5, 14, 43, 59), bucket: undefined },
    { name: "the same, hour buckets", from: Date.UTC(2032, 4, 2, 10, 17, 3), to: Date.UTC(2032, 4, 5, 14, 43, 59), bucket: "hour" as const },
    { name: "18 hours, minute buckets (raw events only)", from: Date.UTC(2032, 4, 9, 3, 0, 30), to: Date.UTC(2032, 4, 9, 21, 5), bucket: "minute" as const },
    { name: "inside one hour", from: Date.UTC(2032, 4, 10, 7, 5), to: Date.UTC(2032, 4, 10, 7, 55), bucket: undefined },
    { name: "15 whole days", from: Date.UTC(2032, 4, 3), to: Date.UTC(2032, 4, 18), bucket: undefined },
  ];

  for (const c of ragged) {
    it(`has exactly the raw totals for ${c.name}`, async () => {
      const view = { range: "custom" as const, from: new Date(c.from).toISOString(), to: new Date(c.to).toISOString(), bucket: c.bucket, by: "model" as const, filters: {} };
      const d = await usageDashboard("00000000-0000-0000-0000-000000000001", view);
      const want = await raw(new Date(c.from), new Date(c.to));
      expect(want.requests).toBeGreaterThan(0);
      expect(d.current).toMatchObject({ requests: want.requests, errors: want.errors, inputTokens: want.inputTokens, outputTokens: want.outputTokens });
      expect(d.current.costUsd).toBeCloseTo(want.costUsd, 6);
      // Per-bucket points and the stacked series add up to the same totals.
      expect(d.points.reduce((a, p) => a + p.requests, 0)).toBe(want.requests);
      const stacked = d.stacked.points.reduce((a, p) => a + d.stacked.keys.reduce((b, k) => b + (p[k.id] ?? 0), 0), 0);
      expect(stacked).toBe(want.inputTokens + want.outputTokens);
      // p95: exact for minute buckets, otherwise in the same histogram bucket as the exact value.
      if (d.latencySource === "exact") expect(d.current.p95LatencyMs).toBe(want.p95);
      else expect(bucketIndex(Math.floor(d.current.p95LatencyMs!))).toBe(bucketIndex(want.p95!));
      // The previous period is the same length, just before.
      const span = c.to - c.from;
      const prev = await raw(new Date(c.from - span), new Date(c.from));
      expect(d.previous.requests).toBe(prev.requests);
    });
  }

  it("applies filters and stacks by the chosen dimension", async () => {
    const from = Date.UTC(2032, 4, 2, 10, 17);
    const to = Date.UTC(2032, 4, 12, 1, 2);
    const view = { range: "custom" as const, from: new Date(from).toISOString(), to: new Date(to).toISOString(), by: "key" as const, filters: { key: KEY_A, model: "gpt-4o" } };
    const d = await usageDashboard("00000000-0000-0000-0000-000000000001", view);
    const want = await raw(new Date(from), new Date(to), `AND "apiKeyId" = $3 AND "requestedModel" = $4`, [KEY_A, "gpt-4o"]);
    expect(d.current.requests).toBe(want.requests);
    expect(d.stacked.keys.map((k) => k.id)).toEqual([KEY_A]);
    expect(d.top.models.map((m) => m.label)).toEqual(["gpt-4o"]);
    const byStatus = await usageDashboard("00000000-0000-0000-0000-000000000001", { ...view, by: "status", filters: { status: "upstream_error" } });
    expect(byStatus.stacked.keys.map((k) => k.label)).toEqual(["Upstream error"]);
    expect(byStatus.current.errors).toBe(byStatus.current.requests);
  });

  it("answers an admin API key over HTTP, and refuses keys without the admin scope or unknown keys", async () => {
    const q = `range=custom&from=${encodeURIComponent(new Date(START).toISOString())}&to=${encodeURIComponent(new Date(START + 5 * 24 * HOUR).toISOString())}&by=account`;
    const ok = await call(dashboardGET, { path: `/api/admin/usage/dashboard?${q}`, headers: { authorization: `Bearer ${adminKey}` } });
    expect(ok.status).toBe(200);
    const body = ok.json as UsageDashboard;
    expect(body.window.bucket).toBe("hour");
    expect(body.stacked.keys.map((k) => k.label).sort()).toEqual(["No account", "dash-account"]);
    expect((await call(dashboardGET, { path: `/api/admin/usage/dashboard?${q}`, headers: { authorization: `Bearer ${viewerlessKey}` } })).status).toBe(403);
    expect((await call(dashboardGET, { path: `/api/admin/usage/dashboard?${q}`, headers: { authorization: "Bearer pgk_not-a-real-key-000000" } })).status).toBe(401);
    const bad = await call(dashboardGET, { path: `/api/admin/usage/dashboard?range=custom&from=2032-05-02T00:00:00Z`, headers: { authorization: `Bearer ${adminKey}` } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.param).toBe("to");
  });
});
