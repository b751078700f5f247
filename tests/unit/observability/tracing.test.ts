import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { trace } from "@opentelemetry/api";
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-node";
import {
  GatewayTrace, flushSpans, registerTracingFromEnv, setTracerProvider, shutdownTracing, startGatewayTrace, startSpan, traceparentOf,
  tracingEnabled, withRequestTrace,
} from "@/lib/observability/tracing";

// The gateway's spans through the real OpenTelemetry SDK: a NodeTracerProvider
// with the SDK's InMemorySpanExporter behind a SimpleSpanProcessor.

const outcome = { status: "ok", accountId: "acc-1", servedModel: "gpt-4o-mini", inputTokens: 9, outputTokens: 12, attempts: 1, latencyMs: 80, ttftMs: 20, errorCode: null };

function installMemory(): InMemorySpanExporter {
  const mem = new InMemorySpanExporter();
  setTracerProvider(new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(mem)] }));
  return mem;
}

const parentId = (s: ReadableSpan) => s.parentSpanContext?.spanId ?? null;

afterEach(() => setTracerProvider(null));

describe("tracing", () => {
  it("is the API's non-recording no-op while no provider is registered, and builds no attributes", () => {
    expect(tracingEnabled()).toBe(false);
    const s = startSpan("x");
    expect(s.isRecording()).toBe(false);
    expect(startSpan("y")).toBe(s); // one shared object: nothing allocated per call
    expect(startGatewayTrace(() => { throw new Error("attributes must not be built when tracing is off"); }).recording).toBe(false);
    expect(trace.getTracer("promptgate").startSpan("z").isRecording()).toBe(false);
  });

  it("records a gateway call as a root span with the stages as children in order, the first-token event and the request id", () => {
    const mem = installMemory();
    const t = withRequestTrace("req-42", null, () => startGatewayTrace(() => ({ "gen_ai.request.model": "team-default" })));
    for (const stage of ["filter", "resolve", "route", "admit", "upstream"]) t.stage(stage);
    t.event("first_token", { "promptgate.ttft_ms": 20 });
    t.stage("stream", { "promptgate.filtered": false });
    t.end(outcome);

    const spans = mem.getFinishedSpans();
    const root = spans.find((s) => s.name === "gateway.chat")!;
    expect(root).toBeDefined();
    expect(parentId(root)).toBeNull();
    expect(root.instrumentationScope.name).toBe("promptgate");
    expect(root.attributes).toMatchObject({
      "promptgate.request_id": "req-42", "gen_ai.request.model": "team-default", "promptgate.status": "ok", "promptgate.account_id": "acc-1",
      "gen_ai.usage.input_tokens": 9, "gen_ai.usage.output_tokens": 12, "promptgate.ttft_ms": 20,
    });
    expect(root.status.code).toBe(1); // OK
    const children = spans.filter((s) => parentId(s) === root.spanContext().spanId);
    expect(children.map((s) => s.name)).toEqual(["filter", "resolve", "route", "admit", "upstream", "stream", "settle"]);
    expect(children.every((s) => s.spanContext().traceId === root.spanContext().traceId)).toBe(true);
    const upstream = children.find((s) => s.name === "upstream")!;
    expect(upstream.events.map((e) => [e.name, e.attributes])).toEqual([["first_token", { "promptgate.ttft_ms": 20 }]]);
    expect(children.find((s) => s.name === "stream")!.events).toEqual([]);
    // Consecutive (within the SDK clock's sub-millisecond jitter): each stage starts where the previous one ended.
    const ns = (t: [number, number]) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
    for (let i = 1; i < children.length; i++) {
      expect(Number(ns(children[i]!.startTime) - ns(children[i - 1]!.endTime))).toBeGreaterThan(-1_000_000);
      expect(ns(children[i]!.startTime) >= ns(children[i - 1]!.startTime)).toBe(true);
    }
  });

  it("joins the caller's trace from a valid W3C traceparent and starts a new one for an invalid header", () => {
    const mem = installMemory();
    const caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const a = withRequestTrace("r1", caller, () => startSpan("a"));
    a.end();
    withRequestTrace("r2", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", () => startSpan("b")).end();
    const [sa, sb] = mem.getFinishedSpans();
    expect(sa!.spanContext().traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(parentId(sa!)).toBe("00f067aa0ba902b7");
    expect(sa!.attributes["promptgate.request_id"]).toBe("r1");
    expect(traceparentOf(a)).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${a.spanContext().spanId}-01`);
    expect(sb!.spanContext().traceId).not.toMatch(/^0+$/);
    expect(parentId(sb!)).toBeNull();
    expect(sb!.attributes["promptgate.request_id"]).toBe("r2");
  });

  it("keeps concurrent requests' spans apart", async () => {
    const mem = installMemory();
    await Promise.all(["one", "two"].map((id) => withRequestTrace(id, null, async () => {
      const t = startGatewayTrace(() => ({}));
      t.stage("upstream");
      await new Promise((r) => setTimeout(r, 5));
      t.end(outcome);
    })));
    const roots = mem.getFinishedSpans().filter((s) => s.name === "gateway.chat");
    expect(roots.map((r) => r.attributes["promptgate.request_id"]).sort()).toEqual(["one", "two"]);
    expect(roots[0]!.spanContext().traceId).not.toBe(roots[1]!.spanContext().traceId);
  });

  it("marks a failed call's root span as an error with its code", () => {
    const mem = installMemory();
    new GatewayTrace({}).end({ ...outcome, status: "upstream_error", errorCode: "upstream_timeout" });
    const root = mem.getFinishedSpans().find((s) => s.name === "gateway.chat")!;
    expect(root.status).toEqual({ code: 2, message: "upstream_timeout" });
  });

  it("exports OTLP/HTTP JSON batches to OTEL_EXPORTER_OTLP_ENDPOINT with the configured headers and service name", async () => {
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
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The OTLP exporter reads the standard variables from process.env.
    const saved = { ...process.env };
    Object.assign(process.env, { OTEL_EXPORTER_OTLP_ENDPOINT: base, OTEL_EXPORTER_OTLP_HEADERS: "x-tenant=team%20a", OTEL_SERVICE_NAME: "pg-test" });
    try {
      expect(await registerTracingFromEnv({})).toBe(false);
      expect(await registerTracingFromEnv()).toBe(true);
      expect(tracingEnabled()).toBe(true);
      const t = withRequestTrace("req-otlp", null, () => startGatewayTrace(() => ({ "gen_ai.request.model": "m" })));
      t.stage("upstream");
      t.event("first_token");
      t.end(outcome);
      await flushSpans();
      await shutdownTracing();
    } finally {
      process.env = saved;
      await new Promise((r) => server.close(r));
    }
    expect(bodies.length).toBeGreaterThanOrEqual(1);
    expect(bodies[0]!.path).toBe("/v1/traces");
    expect(bodies[0]!.headers["content-type"]).toBe("application/json");
    expect(bodies[0]!.headers["x-tenant"]).toBe("team a");
    const rs = bodies.flatMap((b) => b.body.resourceSpans);
    expect(rs[0].resource.attributes).toContainEqual({ key: "service.name", value: { stringValue: "pg-test" } });
    const spans = rs.flatMap((r: any) => r.scopeSpans.flatMap((s: any) => s.spans)); // eslint-disable-line @typescript-eslint/no-explicit-any
    const root = spans.find((s: { name: string }) => s.name === "gateway.chat");
    expect(root.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(root.attributes).toContainEqual({ key: "promptgate.request_id", value: { stringValue: "req-otlp" } });
    expect(spans.map((s: { name: string }) => s.name).sort()).toEqual(["gateway.chat", "settle", "upstream"]);
    expect(spans.find((s: { name: string }) => s.name === "upstream").parentSpanId).toBe(root.spanId);
  });
});
