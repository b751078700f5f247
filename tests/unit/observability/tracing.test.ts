import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  GatewayTrace, InMemorySpanExporter, OtlpHttpExporter, otlpExporterFromEnv, parseOtlpHeaders, setSpanExporter, startGatewayTrace, startSpan,
  tracingEnabled, withRequestTrace,
} from "@/lib/observability/tracing";

const outcome = { status: "ok", accountId: "acc-1", servedModel: "gpt-4o-mini", inputTokens: 9, outputTokens: 12, attempts: 1, latencyMs: 80, ttftMs: 20, errorCode: null };

afterEach(() => setSpanExporter(null));

describe("tracing", () => {
  it("records nothing and allocates no spans while no exporter is installed", () => {
    expect(tracingEnabled()).toBe(false);
    const s = startSpan("x");
    expect(s.recording).toBe(false);
    expect(startGatewayTrace(() => { throw new Error("attributes must not be built when tracing is off"); }).recording).toBe(false);
  });

  it("records a gateway call as a root span with consecutive stage spans, a first-token event and the outcome", () => {
    const mem = new InMemorySpanExporter();
    setSpanExporter(mem);
    const trace = withRequestTrace("req-42", null, () => startGatewayTrace(() => ({ "gen_ai.request.model": "team-default" })));
    trace.stage("filter");
    trace.stage("resolve");
    trace.stage("route");
    trace.stage("admit");
    trace.stage("upstream");
    trace.event("first_token", { "promptgate.ttft_ms": 20 });
    trace.stage("stream");
    trace.end(outcome);

    const names = mem.spans.map((s) => s.name);
    expect(names).toEqual(["filter", "resolve", "route", "admit", "upstream", "stream", "settle", "gateway.chat"]);
    const root = mem.spans.at(-1)!;
    expect(root.parentSpanId).toBeNull();
    expect(root.attributes).toMatchObject({ "promptgate.request_id": "req-42", "gen_ai.request.model": "team-default", "promptgate.status": "ok", "gen_ai.usage.output_tokens": 12 });
    expect(root.status.code).toBe("ok");
    for (const s of mem.spans.slice(0, -1)) {
      expect(s.traceId).toBe(root.traceId);
      expect(s.parentSpanId).toBe(root.spanId);
      expect(s.endUnixNano >= s.startUnixNano).toBe(true);
    }
    const upstream = mem.spans.find((s) => s.name === "upstream")!;
    expect(upstream.events.map((e) => e.name)).toEqual(["first_token"]);
    // Stages follow one another: each starts no earlier than the previous one ended.
    const stages = mem.spans.slice(0, 6);
    for (let i = 1; i < stages.length; i++) expect(stages[i]!.startUnixNano >= stages[i - 1]!.endUnixNano).toBe(true);
  });

  it("joins the caller's trace from a valid W3C traceparent and ignores a malformed one", () => {
    const mem = new InMemorySpanExporter();
    setSpanExporter(mem);
    const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    withRequestTrace("r1", parent, () => startSpan("a")).end();
    withRequestTrace("r2", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", () => startSpan("b")).end();
    expect(mem.spans[0]).toMatchObject({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", parentSpanId: "00f067aa0ba902b7" });
    expect(mem.spans[1]!.traceId).not.toBe("00000000000000000000000000000000");
    expect(mem.spans[1]!.parentSpanId).toBeNull();
  });

  it("marks a failed call's root span as an error with its code", () => {
    const mem = new InMemorySpanExporter();
    setSpanExporter(mem);
    const t = new GatewayTrace({});
    t.end({ ...outcome, status: "upstream_error", errorCode: "upstream_timeout" });
    expect(mem.spans.at(-1)!.status).toEqual({ code: "error", message: "upstream_timeout" });
  });

  it("exports OTLP/HTTP JSON that a collector accepts: hex ids, nanosecond strings, typed attributes", async () => {
    const bodies: { path: string; headers: http.IncomingHttpHeaders; body: any }[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
    const server = http.createServer((req, res) => {
      let raw = "";
      req.on("data", (d) => (raw += d));
      req.on("end", () => {
        bodies.push({ path: req.url!, headers: req.headers, body: JSON.parse(raw) });
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as AddressInfo).port;
      const exporter = otlpExporterFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}/`, OTEL_EXPORTER_OTLP_HEADERS: "x-tenant=team%20a", OTEL_SERVICE_NAME: "pg-test" })!;
      expect(exporter).toBeInstanceOf(OtlpHttpExporter);
      setSpanExporter(exporter);
      const t = new GatewayTrace({ "promptgate.stream": true });
      t.stage("upstream");
      t.end(outcome);
      await exporter.flush();
      expect(bodies).toHaveLength(1);
      expect(bodies[0]!.path).toBe("/v1/traces");
      expect(bodies[0]!.headers["x-tenant"]).toBe("team a");
      const rs = bodies[0]!.body.resourceSpans[0];
      expect(rs.resource.attributes).toContainEqual({ key: "service.name", value: { stringValue: "pg-test" } });
      const spans = rs.scopeSpans[0].spans;
      const root = spans.find((s: { name: string }) => s.name === "gateway.chat");
      expect(root.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(root.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(root.kind).toBe(2);
      expect(root.startTimeUnixNano).toMatch(/^\d{19}$/);
      expect(root.status).toEqual({ code: 1 });
      expect(root.attributes).toContainEqual({ key: "promptgate.stream", value: { boolValue: true } });
      expect(root.attributes).toContainEqual({ key: "gen_ai.usage.input_tokens", value: { intValue: "9" } });
      expect(spans.filter((s: { parentSpanId?: string }) => s.parentSpanId === root.spanId).map((s: { name: string }) => s.name)).toEqual(["upstream", "settle"]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("drops spans instead of blocking when the collector is unreachable", async () => {
    const exporter = new OtlpHttpExporter("http://127.0.0.1:9/v1/traces", { intervalMs: 10 });
    setSpanExporter(exporter);
    startSpan("lost").end();
    await exporter.flush();
    expect(exporter.dropped).toBe(1);
  });

  it("reads OTEL headers and stays off without an endpoint", () => {
    expect(parseOtlpHeaders("a=1, b = x%3Dy ,bad")).toEqual({ a: "1", b: "x=y" });
    expect(otlpExporterFromEnv({})).toBeNull();
  });
});
