import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { createAccount } from "@/lib/accounts";
import { createApiKey } from "@/lib/auth/api-keys";
import { closeDb } from "@/lib/db";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { startApp, type AppServer } from "../../support/app-server";

// GET /api/metrics and OTLP traces from a real `next start`, driven by real
// gateway calls against the fake upstream.

const system = { kind: "system", name: "test" } as const;
const TOKEN = "metrics-token-0123456789";

type OtlpSpan = { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes: { key: string; value: Record<string, unknown> }[]; events: { name: string }[]; status: { code: number } };

describe("operations: metrics endpoint and traces", () => {
  let app: AppServer;
  let fake: FakeUpstream;
  let key: string;
  let accountId: string;
  let sql: pg.Pool;
  let collector: http.Server;
  const spans: OtlpSpan[] = [];

  const chat = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    fetch(`${app.url}/api/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
      body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], ...body }),
    });
  const scrape = (auth?: string) => fetch(`${app.url}/api/metrics`, { headers: auth ? { authorization: auth } : {} });

  /** The value of one exposition line, by metric name and exact labels; 0 when absent. */
  function sample(text: string, name: string, labels: Record<string, string>): number {
    for (const line of text.split("\n")) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      if (!line.includes("{")) return Object.keys(labels).length ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
      const inner = line.slice(name.length + 1, line.lastIndexOf("}"));
      const got = Object.fromEntries([...inner.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
      if (Object.keys(labels).length === Object.keys(got).length && Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(line.slice(line.lastIndexOf(" ") + 1));
    }
    return 0;
  }

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL });
    await sql.query(`INSERT INTO "ModelPrice" (model, "inputPerMTok", "outputPerMTok", "effectiveFrom") VALUES ('ops-model', 1000, 2000, now() - interval '1 day') ON CONFLICT DO NOTHING`);
    collector = http.createServer((req, res) => {
      let raw = "";
      req.on("data", (d) => (raw += d));
      req.on("end", () => {
        if (req.url === "/v1/traces") for (const rs of JSON.parse(raw).resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((r) => collector.listen(0, "127.0.0.1", r));
    fake = await startFakeUpstream({ models: ["ops-model"] });
    accountId = (await createAccount(system, { name: "ops-metrics", provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-ops-metrics-000001", models: ["ops-model"], firstByteTimeoutMs: 2000 })).id;
    key = (await createApiKey(system, { name: "ops-metrics", scopes: ["completions"] })).key;
    app = await startApp({ METRICS_TOKEN: TOKEN, GATEWAY_RETRY_BASE_MS: "5", OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}` });
  }, 300_000);

  afterAll(async () => {
    await app?.stop();
    await fake?.close();
    await new Promise((r) => collector?.close(r));
    await sql?.end();
    await closeDb();
  });

  it("refuses to show metrics without the bearer token when METRICS_TOKEN is set", async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape("Bearer wrong-token")).status).toBe(401);
    const ok = await scrape(`Bearer ${TOKEN}`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it("counts gateway calls by outcome, model and account, with latency, first-token time, tokens, cost and upstream errors", async () => {
    fake.enqueue([{ promptTokens: 11, completionTokens: 5 }, { promptTokens: 7, completionTokens: 3, chunkDelayMs: 5 }, { status: 500 }, { status: 500 }]);
    expect((await chat({ model: "ops-model" })).status).toBe(200);
    const s = await chat({ model: "ops-model", stream: true });
    expect(s.status).toBe(200);
    await s.text();
    expect((await chat({ model: "ops-model" })).status).toBe(502);
    expect((await chat({ model: "no-such-model-xyz" })).status).toBe(404);
    await new Promise((r) => setTimeout(r, 600)); // the usage writer flushes every 100 ms in tests; cost is counted on write

    const text = await (await scrape(`Bearer ${TOKEN}`)).text();
    const acc = { model: "ops-model", account: accountId };
    expect(sample(text, "promptgate_gateway_requests_total", { ...acc, status: "ok" })).toBe(2);
    expect(sample(text, "promptgate_gateway_requests_total", { ...acc, status: "upstream_error" })).toBe(1);
    expect(sample(text, "promptgate_gateway_requests_total", { model: "none", account: "none", status: "rejected" })).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain("no-such-model-xyz");
    expect(sample(text, "promptgate_gateway_ttft_seconds_count", { ...acc, stream: "true" })).toBe(1);
    expect(sample(text, "promptgate_gateway_ttft_seconds_count", { ...acc, stream: "false" })).toBe(1);
    expect(sample(text, "promptgate_gateway_request_duration_seconds_count", { ...acc, stream: "false" })).toBe(2);
    expect(sample(text, "promptgate_gateway_tokens_total", { model: "ops-model", direction: "input" })).toBe(18);
    expect(sample(text, "promptgate_gateway_tokens_total", { model: "ops-model", direction: "output" })).toBe(8);
    // 18 input tokens at $1000/M and 8 output at $2000/M.
    expect(sample(text, "promptgate_gateway_cost_usd_total", { model: "ops-model" })).toBeCloseTo((18 * 1000 + 8 * 2000) / 1e6, 8);
    expect(sample(text, "promptgate_upstream_errors_total", { account: accountId, code: "upstream_http_error" })).toBe(2);
    expect(sample(text, "promptgate_account_info", { account: accountId, name: "ops-metrics", provider: "openai" })).toBe(1);
    expect(sample(text, "promptgate_http_requests_total", { route: "/api/v1/chat/completions", method: "POST", status: "200" })).toBe(2);
    expect(sample(text, "promptgate_http_requests_total", { route: "/api/metrics", method: "GET", status: "401" })).toBe(2);
  });

  it("reports the internals: usage writer, database pool, active streams and process metrics", async () => {
    const text = await (await scrape(`Bearer ${TOKEN}`)).text();
    expect(sample(text, "promptgate_usage_events_written_total", {})).toBeGreaterThanOrEqual(4);
    expect(sample(text, "promptgate_usage_flush_duration_seconds_count", { outcome: "ok" })).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^promptgate_usage_queue_depth 0$/m);
    expect(sample(text, "promptgate_db_pool_connections", { state: "total" })).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^promptgate_db_pool_waiting 0$/m);
    expect(text).toMatch(/^promptgate_active_streams 0$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it("security #13.7: labels requests by route pattern, so 500 random prompt names leave one label and later routes keep theirs", async () => {
    // Unauthenticated calls, the cheapest flood there is: each answers 401 before any lookup.
    for (let i = 0; i < 500; i++) {
      const r = await fetch(`${app.url}/api/prompts/flood-${i}-${Math.random().toString(36).slice(2)}`);
      expect(r.status).toBe(401);
      await r.body?.cancel();
    }
    // A route first called after the flood still gets a series of its own.
    expect((await fetch(`${app.url}/api/quota`)).status).toBe(401);
    const text = await (await scrape(`Bearer ${TOKEN}`)).text();
    const routes = new Set([...text.matchAll(/^promptgate_http_requests_total\{route="([^"]*)"/gm)].map((m) => m[1]));
    expect(sample(text, "promptgate_http_requests_total", { route: "/api/prompts/[name]", method: "GET", status: "401" })).toBe(500);
    expect(sample(text, "promptgate_http_requests_total", { route: "/api/quota", method: "GET", status: "401" })).toBe(1);
    expect([...routes].filter((r) => r!.startsWith("/api/prompts/"))).toEqual(["/api/prompts/[name]"]);
    expect(routes.size).toBeLessThan(20);
    expect(routes.has("other")).toBe(false);
  });

  it("exports a trace per call with the pipeline's stages, the first-token event and the request id, in the caller's trace", async () => {
    fake.enqueue({ completionTokens: 4, chunkDelayMs: 5 });
    const traceId = "0af7651916cd43dd8448eb211c80319c";
    const res = await chat({ model: "ops-model", stream: true }, { "x-request-id": "ops-trace-req-1", traceparent: `00-${traceId}-b7ad6b7169203331-01` });
    await res.text();
    const deadline = Date.now() + 5000;
    let root: OtlpSpan | undefined;
    while (!root && Date.now() < deadline) {
      root = spans.find((s) => s.name === "gateway.chat" && s.traceId === traceId);
      if (!root) await new Promise((r) => setTimeout(r, 100));
    }
    expect(root, "no gateway.chat span reached the collector").toBeDefined();
    const attr = (s: OtlpSpan, k: string) => s.attributes.find((a) => a.key === k)?.value;
    expect(attr(root!, "promptgate.request_id")).toEqual({ stringValue: "ops-trace-req-1" });
    expect(attr(root!, "promptgate.completion_id")).toEqual({ stringValue: res.headers.get("x-promptgate-completion-id") });
    expect(attr(root!, "promptgate.account_id")).toEqual({ stringValue: accountId });
    expect(root!.parentSpanId).toBe("b7ad6b7169203331");
    expect(root!.status.code).toBe(1);
    // Children arrive in the same or an earlier batch than the root (they end first).
    const children = spans.filter((s) => s.parentSpanId === root!.spanId);
    expect(children.map((s) => s.name)).toEqual(["filter", "resolve", "route", "admit", "upstream", "stream", "settle"]);
    expect(children.find((s) => s.name === "upstream")!.events.map((e) => e.name)).toEqual(["first_token"]);
  });
});
