import { describe, expect, it } from "vitest";
import { decideMetricsAccess, isLoopback } from "@/lib/observability/scrape";

// Who may read /api/metrics (the request side is tested against a real server in
// tests/integration/observability/metrics-access.test.ts).

const base = { authorization: null, token: undefined, production: true, peer: "127.0.0.1", forwardedClient: null, trustProxyHops: 0 };

describe("metrics access", () => {
  it("security #13.7: with METRICS_TOKEN set, only the bearer token opens the metrics, from anywhere and in every mode", () => {
    const token = "metrics-token-0123456789";
    expect(decideMetricsAccess({ ...base, token, peer: "192.0.2.7", authorization: `Bearer ${token}` })).toEqual({ ok: true });
    for (const production of [true, false]) {
      const refused = decideMetricsAccess({ ...base, production, token, authorization: "Bearer wrong" });
      expect(refused).toMatchObject({ ok: false, code: "unauthorized" });
      expect(decideMetricsAccess({ ...base, production, token })).toMatchObject({ ok: false, code: "unauthorized" });
    }
  });

  it("security #13.7: in production without a token, only a loopback peer may read them", () => {
    expect(decideMetricsAccess(base)).toEqual({ ok: true });
    expect(decideMetricsAccess({ ...base, peer: "::1" })).toEqual({ ok: true });
    expect(decideMetricsAccess({ ...base, peer: "::ffff:127.0.0.1" })).toEqual({ ok: true });
    const remote = decideMetricsAccess({ ...base, peer: "192.0.2.7" });
    expect(remote).toMatchObject({ ok: false, code: "forbidden" });
    expect(!remote.ok && remote.message).toMatch(/METRICS_TOKEN/);
    // Unknown peer (the request did not come through the instrumented Node server): refused, never assumed local.
    expect(decideMetricsAccess({ ...base, peer: undefined })).toMatchObject({ ok: false, code: "forbidden" });
    // Forwarded-for names are not the peer: without a trusted proxy they are not even read.
    expect(decideMetricsAccess({ ...base, peer: "192.0.2.7", forwardedClient: "127.0.0.1" })).toMatchObject({ ok: false });
  });

  it("security #13.7: behind a trusted proxy on the same host, the client the proxy reports must be loopback too", () => {
    const proxied = { ...base, trustProxyHops: 1 };
    expect(decideMetricsAccess({ ...proxied, forwardedClient: "127.0.0.1" })).toEqual({ ok: true });
    expect(decideMetricsAccess({ ...proxied, forwardedClient: "203.0.113.9" })).toMatchObject({ ok: false, code: "forbidden" });
    expect(decideMetricsAccess({ ...proxied, forwardedClient: null })).toMatchObject({ ok: false, code: "forbidden" });
  });

  it("stays open outside production, as before", () => {
    expect(decideMetricsAccess({ ...base, production: false, peer: "192.0.2.7" })).toEqual({ ok: true });
  });

  it("knows loopback addresses", () => {
    for (const a of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]) expect(isLoopback(a), a).toBe(true);
    for (const a of ["192.0.2.7", "::ffff:10.0.0.1", "0.0.0.0", "::", "1127.0.0.1", "127.0.0.1.evil", "", undefined, null]) expect(isLoopback(a), String(a)).toBe(false);
  });
});
