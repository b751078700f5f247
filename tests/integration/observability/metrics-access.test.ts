import { networkInterfaces } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb } from "@/lib/db";
import { startApp, type AppServer } from "../../support/app-server";

// Who may read GET /api/metrics in production when no METRICS_TOKEN is set:
// only a client whose TCP connection comes from loopback. The app listens on
// every interface here, so the same build is reached once over loopback and
// once over the machine's own non-loopback address; forwarded-for headers,
// which any client can write, must not turn the second into the first.

/** A non-loopback IPv4 address of this machine, if it has one. */
const external = Object.values(networkInterfaces()).flat().find((a) => a && a.family === "IPv4" && !a.internal)?.address;

describe.skipIf(!external)("operations: metrics without a token", () => {
  let app: AppServer;
  const scrape = (host: string, headers: Record<string, string> = {}) => fetch(`http://${host}:${app.port}/api/metrics`, { headers });

  beforeAll(async () => {
    // One trusted proxy: the case where the forwarded-for chain is read at all.
    app = await startApp({ METRICS_TOKEN: "", TRUST_PROXY_HOPS: "1" }, { host: "0.0.0.0" });
  }, 300_000);

  afterAll(async () => {
    await app?.stop();
    await closeDb();
  });

  it("security #13.7: in production, serves metrics without a token to a loopback client only", async () => {
    const local = await scrape("127.0.0.1");
    expect(local.status).toBe(200);
    expect(await local.text()).toContain("promptgate_http_requests_total");

    const remote = await scrape(external!);
    expect(remote.status).toBe(403);
    const body = (await remote.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("forbidden");
    expect(body.error.message).toMatch(/METRICS_TOKEN/);
  });

  it("security #13.7: a forged X-Forwarded-For from a remote client does not pass for loopback", async () => {
    for (const xff of ["127.0.0.1", "::1", "10.0.0.1, 127.0.0.1", "127.0.0.1, 127.0.0.1"]) {
      const r = await scrape(external!, { "x-forwarded-for": xff, "x-real-ip": "127.0.0.1", forwarded: "for=127.0.0.1" });
      expect(r.status, `x-forwarded-for: ${xff}`).toBe(403);
    }
  });

  it("security #13.7: a remote client relayed by a proxy on the same host is not loopback either", async () => {
    // A reverse proxy on this machine connects from loopback and appends the client it saw.
    expect((await scrape("127.0.0.1", { "x-forwarded-for": "203.0.113.9" })).status).toBe(403);
    expect((await scrape("127.0.0.1", { "x-forwarded-for": "127.0.0.1, 203.0.113.9" })).status).toBe(403);
  });
});
