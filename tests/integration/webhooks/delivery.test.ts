// Outbound webhooks (issue 19 §3) against a real app (its worker started by instrumentation.ts) and a
// real node:http receiver that verifies every signature with the README's snippet: delivery, retries
// with backoff, failure after the retry window, the Slack shape, workspace scoping, and the URL policy.
import { lookup } from "node:dns/promises";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/lib/auth/api-keys";
import { DEFAULT_WORKSPACE_ID } from "@/lib/core";
import { closeDb, db } from "@/lib/db";
import { recordEvent } from "@/lib/events";
import { addressProblem } from "@/lib/providers/schemas";
import { createWebhook } from "@/lib/webhooks";
import { createWorkspace } from "@/lib/workspaces";
import { startApp, type AppServer } from "../../support/app-server";
import { eventually } from "../../support/eventually";
import { startReceiver, verifyWebhook, type Receiver } from "../../support/webhook-receiver";

const run = Date.now().toString(36);
const root = { kind: "system", name: "test" } as const;
const ENV = {
  WEBHOOK_POLL_MS: "300", WEBHOOK_RETRY_BASE_MS: "300", WEBHOOK_RETRY_MAX_MS: "1000", WEBHOOK_RETRY_WINDOW_MS: "4000", WEBHOOK_TIMEOUT_MS: "2000",
};

describe("outbound webhooks", () => {
  let app: AppServer;
  let rx: Receiver;
  let admin: Record<string, string>;
  const created: string[] = [];

  /** Creates an endpoint over the management API; returns its id and the secret shown once. */
  async function endpoint(body: Record<string, unknown>, headers = admin): Promise<{ id: string; secret: string }> {
    const res = await fetch(`${app.url}/api/admin/webhooks`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(body) });
    const json = (await res.json()) as { endpoint: { id: string }; secret: string };
    expect(res.status, JSON.stringify(json)).toBe(201);
    created.push(json.endpoint.id);
    return { id: json.endpoint.id, secret: json.secret };
  }

  const deliveriesOf = (endpointId: string) => db.webhookDelivery.findMany({ where: { endpointId }, orderBy: { createdAt: "asc" } });

  beforeAll(async () => {
    rx = await startReceiver();
    admin = { authorization: `Bearer ${(await createApiKey(root, { name: `hooks-admin-${run}`, scopes: ["admin"] })).key}` };
    app = await startApp(ENV);
  }, 900_000);

  afterAll(async () => {
    await db.webhookEndpoint.deleteMany({ where: { id: { in: created } } });
    await app?.stop();
    await rx?.close();
    await closeDb();
  });

  it("delivers an event recorded in a transaction once, with a body and Standard Webhooks signature the README's snippet verifies", async () => {
    rx.received.length = 0;
    const { id, secret } = await endpoint({ url: rx.url, eventTypes: ["experiment.started"], description: "signed" });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    rx.secret = secret;
    const eventId = await db.$transaction((tx) => recordEvent({ type: "experiment.started", workspaceId: DEFAULT_WORKSPACE_ID, data: { name: `exp-${run}`, prompt: "p", label: "production" } }, tx));
    await eventually(async () => rx.received.length >= 1, 15_000, "the delivery");
    const got = rx.received[0]!;
    expect(got.verified).toBe(true);
    expect(got.headers["webhook-id"]).toBe(eventId);
    expect(got.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(got.json).toEqual({ id: eventId, type: "experiment.started", timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), workspaceId: DEFAULT_WORKSPACE_ID, data: { name: `exp-${run}`, prompt: "p", label: "production" } });
    // Tampering with one byte breaks it.
    expect(verifyWebhook(secret, got.headers, got.body.replace("production", "productioN"))).toBe(false);
    const [d] = await eventually(async () => ((await deliveriesOf(id)).every((r) => r.status === "delivered") ? deliveriesOf(id) : null), 10_000, "delivered status");
    expect(d).toMatchObject({ status: "delivered", attempts: 1, responseStatus: 200, lastError: null });
    await new Promise((r) => setTimeout(r, 700));
    expect(rx.received.length).toBe(1);
  });

  it("the README carries the verification snippet word for word", () => {
    const snippet = readFileSync("tests/support/webhook-receiver.ts", "utf8").split("// ---- README snippet: begin ----\n")[1]!.split("// ---- README snippet: end ----")[0]!.trim();
    expect(readFileSync("README.md", "utf8")).toContain(snippet);
  });

  it("retries a 500 with exponential backoff, then delivers", async () => {
    rx.received.length = 0;
    const { id, secret } = await endpoint({ url: rx.url, eventTypes: ["experiment.completed"] });
    rx.secret = secret;
    rx.respond = (n) => (n < 2 ? 500 : 200);
    await recordEvent({ type: "experiment.completed", workspaceId: DEFAULT_WORKSPACE_ID, data: { name: `retry-${run}` } });
    const [d] = await eventually(async () => {
      const rows = await deliveriesOf(id);
      return rows[0]?.status === "delivered" ? rows : null;
    }, 20_000, "delivered after retries");
    expect(d).toMatchObject({ status: "delivered", attempts: 3, responseStatus: 200 });
    expect(rx.received.map((r) => r.verified)).toEqual([true, true, true]);
    // Same event id on every attempt, each signed afresh.
    expect(new Set(rx.received.map((r) => r.headers["webhook-id"])).size).toBe(1);
    const gaps = [rx.received[1]!.at - rx.received[0]!.at, rx.received[2]!.at - rx.received[1]!.at];
    // Base 300 ms doubling, ±20 % jitter: at least 240 ms, then at least 480 ms.
    expect(gaps[0]).toBeGreaterThanOrEqual(230);
    expect(gaps[1]).toBeGreaterThanOrEqual(470);
    rx.respond = () => 200;
  });

  it("marks a delivery failed once the retry window (WEBHOOK_RETRY_WINDOW_MS) has passed, with the last response code and error", async () => {
    rx.received.length = 0;
    const { id } = await endpoint({ url: rx.url, eventTypes: ["prompt.version_created"] });
    rx.respond = () => 503;
    await recordEvent({ type: "prompt.version_created", workspaceId: DEFAULT_WORKSPACE_ID, data: { prompt: `p-${run}`, version: 1 } });
    const [d] = await eventually(async () => {
      const rows = await deliveriesOf(id);
      return rows[0]?.status === "failed" ? rows : null;
    }, 30_000, "failed after the window");
    expect(d!.attempts).toBeGreaterThanOrEqual(3);
    expect(d!.responseStatus).toBe(503);
    expect(d!.lastError).toContain("HTTP 503");
    const n = rx.received.length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(rx.received.length).toBe(n);
    // Redelivered by hand, it goes out again (and the receiver now accepts it).
    rx.respond = () => 200;
    const res = await fetch(`${app.url}/api/admin/webhooks/deliveries/${d!.id}/redeliver`, { method: "POST", headers: admin });
    expect(res.status).toBe(200);
    await eventually(async () => (await deliveriesOf(id))[0]?.status === "delivered", 15_000, "delivered after redelivery");
  });

  it("sends Slack's {text} to a slack-format endpoint", async () => {
    rx.received.length = 0;
    rx.secret = null;
    await endpoint({ url: rx.url, eventTypes: ["prompt.label_moved"], format: "slack" });
    await recordEvent({ type: "prompt.label_moved", workspaceId: DEFAULT_WORKSPACE_ID, data: { prompt: `slack-${run}`, label: "production", fromVersion: 1, toVersion: 2, movedBy: "a@b.test" } });
    await eventually(async () => rx.received.length >= 1, 15_000, "the Slack delivery");
    const body = rx.received[0]!.json;
    expect(Object.keys(body)).toEqual(["text"]);
    expect(body.text).toContain(`Prompt slack-${run}: label production moved from v1 to v2`);
    expect(rx.received[0]!.headers["webhook-signature"]).toMatch(/^v1,/);
  });

  it("a workspace endpoint gets only its workspace's events; an instance-wide endpoint gets every workspace's", async () => {
    rx.received.length = 0;
    rx.secret = null;
    const other = (await createWorkspace(root, { name: "Hooks B", slug: `hooks-b-${run}` })).id;
    const mine = await endpoint({ url: `${rx.url}?to=default`, eventTypes: ["experiment.started"] });
    const everyone = await endpoint({ url: `${rx.url}?to=instance`, eventTypes: ["experiment.started"], scope: "instance" });
    await recordEvent({ type: "experiment.started", workspaceId: other, data: { name: `b-only-${run}` } });
    await eventually(async () => (await deliveriesOf(everyone.id)).some((d) => d.status === "delivered"), 15_000, "instance-wide delivery");
    await new Promise((r) => setTimeout(r, 700));
    expect(await deliveriesOf(mine.id)).toEqual([]);
    expect(rx.received.map((r) => (r.json.data as { name: string }).name)).toEqual([`b-only-${run}`]);
  });

  it("test-send puts a webhook.test event through the real delivery path, signed", async () => {
    rx.received.length = 0;
    const { id, secret } = await endpoint({ url: rx.url, eventTypes: ["budget.exhausted"] });
    rx.secret = secret;
    const res = await fetch(`${app.url}/api/admin/webhooks/${id}/test`, { method: "POST", headers: admin });
    expect(res.status).toBe(202);
    await eventually(async () => rx.received.length >= 1, 15_000, "the test delivery");
    expect(rx.received[0]).toMatchObject({ verified: true, json: { type: "webhook.test" } });
    // Rotating the secret: the old one no longer verifies the next delivery, the new one does.
    const rotated = (await (await fetch(`${app.url}/api/admin/webhooks/${id}/rotate-secret`, { method: "POST", headers: admin })).json()) as { secret: string };
    expect(rotated.secret).not.toBe(secret);
    await fetch(`${app.url}/api/admin/webhooks/${id}/test`, { method: "POST", headers: admin });
    await eventually(async () => rx.received.length >= 2, 15_000, "the second test delivery");
    expect(rx.received[1]!.verified).toBe(false);
    expect(verifyWebhook(rotated.secret, rx.received[1]!.headers, rx.received[1]!.body)).toBe(true);
  });

  it("refuses at create a URL the provider URL policy blocks: cloud metadata, and a name that resolves to a non-public address under public-only", async () => {
    const res = await fetch(`${app.url}/api/admin/webhooks`, {
      method: "POST", headers: { ...admin, "content-type": "application/json" },
      body: JSON.stringify({ url: "http://169.254.169.254/latest/meta-data/", eventTypes: ["budget.threshold"] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "validation_error" } });
    // The resolved-address check: this machine's own name resolves to a loopback or private address.
    const name = hostname();
    const addresses = await lookup(name, { all: true }).catch(() => []);
    expect(addresses.length, `${name} resolves`).toBeGreaterThan(0);
    expect(addresses.some((a) => addressProblem(a.address, "public-only"))).toBe(true);
    const before = process.env.PROVIDER_URL_POLICY;
    process.env.PROVIDER_URL_POLICY = "public-only";
    try {
      const err = await createWebhook(root, { url: `http://${name}:8080/hook`, eventTypes: ["budget.threshold"] }).then(() => null, (e: unknown) => e as { status: number; message: string; details: { param: string } });
      expect(err).toMatchObject({ status: 400, details: { param: "url" } });
      expect(err!.message).toContain(name);
    } finally {
      if (before === undefined) delete process.env.PROVIDER_URL_POLICY;
      else process.env.PROVIDER_URL_POLICY = before;
    }
  });
});
