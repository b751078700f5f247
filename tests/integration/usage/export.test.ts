// CSV exports: the content of both exports, and that they stream from a
// server-side cursor: a million rows go out while the process's memory stays
// flat, the cursor waits while the reader waits, and a cancelled download
// releases its connection.
import v8 from "node:v8";
import vm from "node:vm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as aggregateGET } from "@/app/api/admin/usage/export/aggregate/route";
import { GET as eventsGET } from "@/app/api/admin/usage/export/events/route";
import { createApiKey } from "@/lib/auth/api-keys";
import { closeDb } from "@/lib/db";
import { writeBatch, type UsageEventInput } from "@/lib/usage";
import { call } from "../../support/http";

const system = { kind: "system", name: "test" } as const;
const KEY = "a9999999-1111-4111-8111-111111111111";
const SMALL_FROM = Date.UTC(2036, 0, 1);
const BIG_FROM = Date.UTC(2037, 0, 1);
const BIG_ROWS = 1_000_000;

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

describe("usage CSV export", () => {
  let sql: pg.Pool;
  let auth: Record<string, string>;
  const q = (from: number, to: number, extra = "") => `range=custom&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}${extra}`;

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
    auth = { authorization: `Bearer ${(await createApiKey(system, { name: "usage-export-admin", scopes: ["admin"] })).key}` };
    await sql.query(`INSERT INTO "ApiKey" (id, name, prefix, hash) VALUES ($1, 'export key', 'pgk_exp0001', 'export-test-hash-0001') ON CONFLICT DO NOTHING`, [KEY]);
    const base: Omit<UsageEventInput, "completionId" | "createdAt" | "endUser"> = {
      apiKeyId: KEY, accountId: null, provider: "openai", requestedModel: "gpt-4o-mini", servedModel: "gpt-4o-mini",
      inputTokens: 1000, outputTokens: 200, cachedTokens: 0, latencyMs: 420, ttftMs: 90, status: "ok", errorCode: null, stream: true, attempts: 1,
    };
    await writeBatch([
      { ...base, completionId: "export-1", createdAt: new Date(SMALL_FROM + 60_000), endUser: 'ann, "the admin"', metadata: { team: "search", "run,no": 2 } },
      { ...base, completionId: "export-2", createdAt: new Date(SMALL_FROM + 2 * 3_600_000 + 5), endUser: "=cmd|' /C calc'!A0" },
      { ...base, completionId: "export-3", createdAt: new Date(SMALL_FROM + 2 * 3_600_000 + 9), endUser: null, apiKeyId: null, status: "upstream_error", errorCode: "bad_gateway" },
    ]);
    // A million raw events for the streaming test, straight in SQL (only the raw export reads them).
    await sql.query(
      `INSERT INTO "UsageEvent" ("completionId", "createdAt", "apiKeyId", "requestedModel", "servedModel", "inputTokens", "outputTokens", "costUsd", "latencyMs", status, "endUser")
       SELECT 'bulk-' || g, $1::timestamptz + (g * interval '20 ms'), $2::uuid, 'gpt-4o-mini', 'gpt-4o-mini', 1000 + g % 997, 200 + g % 211, 0.00123456, 100 + g % 5000, 'ok',
              'end user number ' || (g % 10000) || ' with a longer identifier to make rows realistic'
         FROM generate_series(1, $3) g`,
      [new Date(BIG_FROM), KEY, BIG_ROWS],
    );
  }, 300_000);

  afterAll(async () => {
    await sql?.end();
    await closeDb();
  });

  it("exports raw events with a header, RFC 4180 quoting, defused formulas and the view's filters", async () => {
    const r = await call(eventsGET, { path: `/api/admin/usage/export/events?${q(SMALL_FROM, SMALL_FROM + 86_400_000)}`, headers: auth });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(r.headers.get("content-disposition")).toMatch(/^attachment; filename="usage-events_20360101T0000_20360102T0000\.csv"$/);
    const rows = parseCsv(r.text);
    const header = rows[0]!;
    const col = (row: string[], name: string) => row[header.indexOf(name)];
    expect(rows).toHaveLength(4);
    expect(rows.slice(1).map((x) => col(x, "completion_id"))).toEqual(["export-1", "export-2", "export-3"]);
    expect(col(rows[1]!, "end_user")).toBe('ann, "the admin"');
    expect(col(rows[2]!, "end_user")).toBe("'=cmd|' /C calc'!A0");
    expect(col(rows[1]!, "api_key_name")).toBe("export key");
    expect(col(rows[1]!, "cost_usd")).toBe("0.00027000");
    expect(col(rows[3]!, "status")).toBe("upstream_error");
    expect(JSON.parse(col(rows[1]!, "metadata")!)).toEqual({ team: "search", "run,no": 2 });
    expect(col(rows[2]!, "metadata")).toBe("");
    const filtered = parseCsv((await call(eventsGET, { path: `/api/admin/usage/export/events?${q(SMALL_FROM, SMALL_FROM + 86_400_000, "&status=upstream_error")}`, headers: auth })).text);
    expect(filtered.slice(1).map((x) => x[1])).toEqual(["export-3"]);
  });

  it("exports the aggregate per bucket and dimension, matching the events", async () => {
    const r = await call(aggregateGET, { path: `/api/admin/usage/export/aggregate?${q(SMALL_FROM, SMALL_FROM + 86_400_000, "&bucket=hour")}`, headers: auth });
    expect(r.status).toBe(200);
    const [header, ...rows] = parseCsv(r.text);
    const col = (row: string[], name: string) => row[header!.indexOf(name)]!;
    expect(rows.map((x) => [col(x, "bucket_start"), col(x, "api_key_name"), col(x, "status"), col(x, "requests"), col(x, "input_tokens")])).toEqual([
      ["2036-01-01T00:00:00.000Z", "export key", "ok", "1", "1000"],
      ["2036-01-01T02:00:00.000Z", "", "upstream_error", "1", "1000"],
      ["2036-01-01T02:00:00.000Z", "export key", "ok", "1", "1000"],
    ]);
    expect(col(rows[0]!, "avg_latency_ms")).toBe("420");
    // From the histogram: somewhere in 420's bucket, [407, 512) ms.
    expect(Number(col(rows[0]!, "p95_latency_ms"))).toBeGreaterThanOrEqual(407);
    expect(Number(col(rows[0]!, "p95_latency_ms"))).toBeLessThan(512);
    expect(col(rows[0]!, "avg_ttft_ms")).toBe("90");
  });

  it("streams a million rows with flat memory, waits for a slow reader, and frees the connection when cancelled", async () => {
    // From the request: the cursor is opened before the response is returned.
    const started = performance.now();
    const res = await eventsGET(new Request(`http://localhost/api/admin/usage/export/events?${q(BIG_FROM, BIG_FROM + 86_400_000)}`, { headers: auth }), { params: Promise.resolve({}) });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    const firstByteMs = performance.now() - started;
    let bytes = first.value!.byteLength;
    let lines = 0;
    const countLines = (b: Uint8Array) => {
      for (let i = 0; i < b.length; i++) if (b[i] === 10) lines++;
    };
    countLines(first.value!);

    // While nobody reads, the cursor is not advanced: once the read-ahead batch is in, the export's
    // connection sits idle in its transaction, and stays so (on a busy machine that batch takes a while).
    // The read-ahead is a FETCH: waiting for one rules out a view of the connection taken before the
    // FETCH reached the server (still idle after the DECLARE), which a loaded machine can show.
    const exportState = async () =>
      (await sql.query(`SELECT state, query_start, query FROM pg_stat_activity WHERE application_name = 'promptgate-export'`)).rows.map((r) => ({ state: r.state, at: String(r.query_start), query: String(r.query).split(" ")[0] }));
    await expect.poll(async () => (await exportState()).map((r) => `${r.state}: ${r.query}`), { timeout: 15_000, interval: 100 }).toEqual(["idle in transaction: FETCH"]);
    const idle = await exportState();
    await new Promise((r) => setTimeout(r, 400));
    // Same state and the same last statement: no FETCH ran while nobody read.
    expect(await exportState()).toEqual(idle);

    // Collect garbage as we go, so that what is measured is memory the export keeps
    // alive, not how lazily V8 chooses to collect: buffered rows would survive a GC.
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const live = () => {
      gc();
      const m = process.memoryUsage();
      return { rss: m.rss, heap: m.heapUsed + m.arrayBuffers };
    };
    // Baseline once the pipeline is warm (first few chunks read).
    for (let i = 0; i < 5; i++) {
      const { value } = await reader.read();
      bytes += value!.byteLength;
      countLines(value!);
    }
    const baseline = live();
    let peak = baseline;
    let chunks = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      countLines(value);
      if (++chunks % 20 === 0) {
        const now = live();
        peak = { rss: Math.max(peak.rss, now.rss), heap: Math.max(peak.heap, now.heap) };
      }
    }
    const mb = (n: number) => n / 2 ** 20;
    const rssGrowth = mb(peak.rss - baseline.rss);
    const heapGrowth = mb(peak.heap - baseline.heap);
    process.stdout.write(
      `export: ${BIG_ROWS} rows, ${mb(bytes).toFixed(0)} MB of CSV, first chunk after ${firstByteMs.toFixed(0)} ms, ` +
        `RSS ${mb(baseline.rss).toFixed(0)} MB → peak ${mb(peak.rss).toFixed(0)} MB (+${rssGrowth.toFixed(1)}), live heap +${heapGrowth.toFixed(1)} MB\n`,
    );
    expect(lines).toBe(BIG_ROWS + 1);
    expect(bytes).toBeGreaterThan(150 * 2 ** 20);
    // Buffering would keep the whole export alive (> 150 MB); streaming holds a couple of 2,000-row chunks.
    expect(rssGrowth).toBeLessThan(80);
    expect(heapGrowth).toBeLessThan(20);
    expect(firstByteMs).toBeLessThan(5000);
    // Finished: the export's connection is gone.
    await new Promise((r) => setTimeout(r, 100));
    expect((await sql.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'promptgate-export'`)).rowCount).toBe(0);

    // A cancelled download closes its cursor and connection.
    const again = await eventsGET(new Request(`http://localhost/api/admin/usage/export/events?${q(BIG_FROM, BIG_FROM + 86_400_000)}`, { headers: auth }), { params: Promise.resolve({}) });
    const r2 = again.body!.getReader();
    await r2.read();
    await r2.cancel();
    const deadline = Date.now() + 5000;
    while ((await sql.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'promptgate-export'`)).rowCount! > 0) {
      if (Date.now() > deadline) throw new Error("the cancelled export still holds its connection");
      await new Promise((r) => setTimeout(r, 50));
    }
  }, 300_000);
});
