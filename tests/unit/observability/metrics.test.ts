import { describe, expect, it } from "vitest";
import {
  metrics, recordGatewayCall, recordHttpRequest, recordQuotaRejection, recordUpstreamError, recordUsageFlush, setCircuitState,
} from "@/lib/observability/metrics";
import { trackStream } from "@/lib/observability/lifecycle";

async function value(name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = (await metrics().registry.getMetricsAsJSON()).find((x) => x.name === name);
  if (!m) throw new Error(`no metric ${name}`);
  const v = (m.values as { value: number; labels: Record<string, string | number>; metricName?: string }[]).find(
    (x) => Object.entries(labels).every(([k, want]) => String(x.labels[k]) === want),
  );
  return v?.value ?? 0;
}

const call = {
  requestedModel: "gpt-4o-mini", servedModel: "gpt-4o-mini-2024", accountId: "acc-1", status: "ok", stream: true,
  latencyMs: 1800, ttftMs: 300, inputTokens: 12, outputTokens: 30, cachedTokens: 4,
};

describe("metrics", () => {
  it("keeps one registry per process on globalThis, where every bundle's copy of the module finds it", () => {
    expect(metrics()).toBe((globalThis as { __pgMetrics?: unknown }).__pgMetrics);
    expect(metrics()).toBe(metrics());
  });

  it("counts HTTP requests by route, method and status, with their duration", async () => {
    recordHttpRequest("DELETE", "/api/admin/keys/[id]", 204, 12);
    recordHttpRequest("DELETE", "/api/admin/keys/[id]", 204, 8);
    expect(await value("promptgate_http_requests_total", { route: "/api/admin/keys/[id]", method: "DELETE", status: "204" })).toBe(2);
    expect(await metrics().registry.metrics()).toContain('promptgate_http_request_duration_seconds_count{route="/api/admin/keys/[id]",method="DELETE"} 2');
  });

  it("records a settled gateway call: outcome, duration, time to first token and tokens by direction", async () => {
    recordGatewayCall(call);
    const text = await metrics().registry.metrics();
    expect(text).toContain('promptgate_gateway_requests_total{model="gpt-4o-mini-2024",account="acc-1",status="ok"} 1');
    expect(text).toContain('promptgate_gateway_ttft_seconds_bucket{le="0.5",model="gpt-4o-mini-2024",account="acc-1",stream="true"} 1');
    expect(text).toContain('promptgate_gateway_ttft_seconds_bucket{le="0.25",model="gpt-4o-mini-2024",account="acc-1",stream="true"} 0');
    expect(text).toContain('promptgate_gateway_request_duration_seconds_bucket{le="2.5",model="gpt-4o-mini-2024",account="acc-1",stream="true"} 1');
    expect(await value("promptgate_gateway_tokens_total", { model: "gpt-4o-mini-2024", direction: "input" })).toBe(12);
    expect(await value("promptgate_gateway_tokens_total", { model: "gpt-4o-mini-2024", direction: "output" })).toBe(30);
    expect(await value("promptgate_gateway_tokens_total", { model: "gpt-4o-mini-2024", direction: "cached" })).toBe(4);
  });

  it("times non-streamed calls to their whole response, and failed calls not at all, for the latency SLI", async () => {
    recordGatewayCall({ ...call, accountId: "acc-2", stream: false, ttftMs: null, latencyMs: 4000 });
    recordGatewayCall({ ...call, accountId: "acc-2", status: "upstream_error", stream: false, ttftMs: null, latencyMs: 100 });
    const text = await metrics().registry.metrics();
    expect(text).toContain('promptgate_gateway_ttft_seconds_count{model="gpt-4o-mini-2024",account="acc-2",stream="false"} 1');
    expect(text).toContain('promptgate_gateway_ttft_seconds_bucket{le="2.5",model="gpt-4o-mini-2024",account="acc-2",stream="false"} 0');
    expect(text).toContain('promptgate_gateway_requests_total{model="gpt-4o-mini-2024",account="acc-2",status="upstream_error"} 1');
  });

  it("never lets rejected calls with made-up model names grow the series", async () => {
    for (let i = 0; i < 50; i++) recordGatewayCall({ ...call, requestedModel: `random-${i}`, servedModel: null, accountId: null, status: "rejected" });
    expect(await value("promptgate_gateway_requests_total", { model: "none", account: "none", status: "rejected" })).toBe(50);
    expect(await metrics().registry.metrics()).not.toContain("random-1");
  });

  it("counts upstream errors, quota rejections, circuit states, usage flushes and cost", async () => {
    recordUpstreamError("acc-1", "rate_limited");
    recordUpstreamError("acc-1", "rate_limited");
    recordQuotaRejection("tokens_per_day");
    setCircuitState("acc-1", "open");
    recordUsageFlush("ok", 25, [{ servedModel: "gpt-4o", requestedModel: "gpt-4o", costUsd: 0.25 }, { servedModel: null, requestedModel: "gpt-4o", costUsd: 0.5 }]);
    recordUsageFlush("failed", 5000);
    expect(await value("promptgate_upstream_errors_total", { account: "acc-1", code: "rate_limited" })).toBe(2);
    expect(await value("promptgate_quota_rejections_total", { type: "tokens_per_day" })).toBe(1);
    expect(await value("promptgate_account_circuit_state", { account: "acc-1" })).toBe(2);
    expect(await value("promptgate_gateway_cost_usd_total", { model: "gpt-4o" })).toBeCloseTo(0.75, 10);
    expect(await value("promptgate_usage_events_written_total")).toBe(2);
    const text = await metrics().registry.metrics();
    expect(text).toContain('promptgate_usage_flush_duration_seconds_count{outcome="failed"} 1');
  });

  it("reads active streams from the lifecycle at scrape time", async () => {
    const done = [trackStream(), trackStream(), trackStream()];
    expect(await value("promptgate_active_streams")).toBe(3);
    done.forEach((d) => d());
    done[0]!();
    expect(await value("promptgate_active_streams")).toBe(0);
  });

  it("exposes process metrics", async () => {
    const text = await metrics().registry.metrics();
    expect(text).toContain("process_cpu_seconds_total");
    expect(text).toContain("nodejs_eventloop_lag_seconds");
  });
});
