// The usage page by API surface (issue 17 item 4): filtered and stacked by the
// surface a call came in on, exactly as the raw events say, over ranges that mix
// daily rows, hourly rows and raw edges; and the CSV exports carry it.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as dashboardGET } from "@/app/api/admin/usage/dashboard/route";
import { GET as aggregateGET } from "@/app/api/admin/usage/export/aggregate/route";
import { GET as eventsGET } from "@/app/api/admin/usage/export/events/route";
import { createApiKey } from "@/lib/auth/api-keys";
import { closeDb } from "@/lib/db";
import { usageDashboard, writeBatch, type UsageEventInput, type UsageSurface } from "@/lib/usage";
import { parseView, viewToSearch } from "@/lib/usage/schemas";
import type { UsageDashboard } from "@/lib/usage/types";
import { call } from "../../support/http";
import { seededRandom as rng } from "../../support/random";

const system = { kind: "system", name: "test" } as const;
const HOUR = 3_600_000;
const START = Date.UTC(2033, 2, 1);
const DAYS = 6;
const SURFACES: UsageSurface[] = ["chat", "messages", "responses", "embeddings", "completion"];

// RFC 4180, as the export test reads it.
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = "";
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") endField();
    else if (c === "\r" && text[i + 1] === "\n") {
      endField();
      rows.push(row);
      row = [];
      i++;
    } else field += c;
  }
  return rows;
}

describe("usage by surface (issue 17 #4)", () => {
  let sql: pg.Pool;
  let auth: Record<string, string>;

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
    auth = { authorization: `Bearer ${(await createApiKey(system, { name: "usage-surface-admin", scopes: ["admin"] })).key}` };
    const rand = rng(17);
    const batch: UsageEventInput[] = [];
    for (let i = 0; i < 3000; i++) {
      const surface = SURFACES[Math.floor(rand() * SURFACES.length)]!;
      const ok = rand() < 0.9;
      batch.push({
        completionId: `surface-${i}`, createdAt: new Date(START + Math.floor(rand() * DAYS * 24 * HOUR)), apiKeyId: null, endUser: null, surface,
        accountId: null, provider: "openai", requestedModel: surface === "embeddings" ? "text-embedding-3-small" : "gpt-4o-mini", servedModel: null,
        inputTokens: Math.floor(rand() * 2000), outputTokens: surface === "embeddings" ? 0 : Math.floor(rand() * 800), cachedTokens: 0,
        latencyMs: Math.floor(50 + rand() * 4000), ttftMs: null, status: ok ? "ok" : "upstream_error", errorCode: null, stream: false, attempts: 1,
      });
    }
    for (let i = 0; i < batch.length; i += 1000) await writeBatch(batch.slice(i, i + 1000));
  });

  afterAll(async () => {
    await sql?.end();
    await closeDb();
  });

  async function rawBySurface(from: number, to: number) {
    const { rows } = await sql.query<{ surface: string; requests: number; tokens: string }>(
      `SELECT surface, count(*)::int AS requests, sum("inputTokens" + "outputTokens")::int8 AS tokens
         FROM "UsageEvent" WHERE "createdAt" >= $1 AND "createdAt" < $2 GROUP BY surface`,
      [new Date(from), new Date(to)],
    );
    return new Map(rows.map((r) => [r.surface, { requests: r.requests, tokens: Number(r.tokens) }]));
  }

  const ranges = [
    { name: "ragged days, day buckets", from: Date.UTC(2033, 2, 1, 10, 17, 3), to: Date.UTC(2033, 2, 5, 14, 43, 59), bucket: undefined },
    { name: "ragged days, hour buckets", from: Date.UTC(2033, 2, 1, 10, 17, 3), to: Date.UTC(2033, 2, 5, 14, 43, 59), bucket: "hour" as const },
    { name: "minute buckets (raw events)", from: Date.UTC(2033, 2, 2, 3, 0, 30), to: Date.UTC(2033, 2, 2, 21, 5), bucket: "minute" as const },
  ];

  for (const c of ranges) {
    it(`usage #17.4: filters by surface and stacks by it, exactly as the raw events, for ${c.name}`, async () => {
      const want = await rawBySurface(c.from, c.to);
      const base = { range: "custom" as const, from: new Date(c.from).toISOString(), to: new Date(c.to).toISOString(), bucket: c.bucket };
      const only = await usageDashboard("00000000-0000-0000-0000-000000000001", { ...base, by: "model", filters: { surface: "embeddings" } });
      expect(want.get("embeddings")!.requests).toBeGreaterThan(0);
      expect(only.current.requests).toBe(want.get("embeddings")!.requests);
      expect(only.current.inputTokens + only.current.outputTokens).toBe(want.get("embeddings")!.tokens);
      expect(only.stacked.keys.map((k) => k.id)).toEqual(["text-embedding-3-small"]);

      const stacked = await usageDashboard("00000000-0000-0000-0000-000000000001", { ...base, by: "surface", filters: {} });
      const perKey = new Map(stacked.stacked.keys.map((k) => [k.id, stacked.stacked.points.reduce((a, p) => a + (p[k.id] ?? 0), 0)]));
      expect(Object.fromEntries(perKey)).toEqual(Object.fromEntries([...want].map(([s, v]) => [s, v.tokens])));
      expect(stacked.stacked.keys.find((k) => k.id === "embeddings")?.label).toBe("Embeddings");
    });
  }

  it("usage #17.4: the dashboard endpoint takes ?surface= and ?by=surface, refuses an unknown surface, and the view keeps it in the URL", async () => {
    const q = `range=custom&from=${encodeURIComponent(new Date(START).toISOString())}&to=${encodeURIComponent(new Date(START + 3 * 24 * HOUR).toISOString())}`;
    const ok = await call(dashboardGET, { path: `/api/admin/usage/dashboard?${q}&by=surface&surface=messages`, headers: auth });
    expect(ok.status).toBe(200);
    const body = ok.json as UsageDashboard;
    expect(body.stacked.keys.map((k) => k.label)).toEqual(["Messages"]);
    const bad = await call(dashboardGET, { path: `/api/admin/usage/dashboard?${q}&surface=fax`, headers: auth });
    expect(bad.status).toBe(400);
    expect(bad.json.error.param).toBe("surface");

    const view = parseView(new URLSearchParams("by=surface&surface=embeddings"));
    expect(view).toMatchObject({ by: "surface", filters: { surface: "embeddings" } });
    expect(viewToSearch(view)).toBe("by=surface&surface=embeddings");
    expect(parseView(new URLSearchParams("surface=fax&status=ok")).filters).toEqual({ status: "ok" });
  });

  it("usage #17.4: both CSV exports carry the surface and honour its filter", async () => {
    const from = START + 24 * HOUR;
    const to = from + 24 * HOUR;
    const q = `range=custom&from=${encodeURIComponent(new Date(from).toISOString())}&to=${encodeURIComponent(new Date(to).toISOString())}`;
    const want = await rawBySurface(from, to);

    const events = parseCsv((await call(eventsGET, { path: `/api/admin/usage/export/events?${q}&surface=embeddings`, headers: auth })).text);
    const eh = events[0]!;
    expect(eh).toContain("surface");
    expect(events.length - 1).toBe(want.get("embeddings")!.requests);
    expect(new Set(events.slice(1).map((r) => r[eh.indexOf("surface")]))).toEqual(new Set(["embeddings"]));

    const agg = parseCsv((await call(aggregateGET, { path: `/api/admin/usage/export/aggregate?${q}&bucket=hour`, headers: auth })).text);
    const ah = agg[0]!;
    expect(ah).toContain("surface");
    const requests = new Map<string, number>();
    for (const r of agg.slice(1)) requests.set(r[ah.indexOf("surface")]!, (requests.get(r[ah.indexOf("surface")]!) ?? 0) + Number(r[ah.indexOf("requests")]));
    expect(Object.fromEntries(requests)).toEqual(Object.fromEntries([...want].map(([s, v]) => [s, v.requests])));
  });
});
