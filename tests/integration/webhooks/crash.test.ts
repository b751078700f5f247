// Crash test (issue 19 "Done when"): the app is killed with SIGKILL between an event and its delivery,
// and a restarted app delivers it. Twice: with the receiver down when the event was recorded (the
// attempt failed and a retry was due), and with the attempt under way (the receiver held the request)
// when the app died, which the claim's lease hands to the next instance.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_WORKSPACE_ID } from "@/lib/core";
import { closeDb, db } from "@/lib/db";
import { recordEvent } from "@/lib/events";
import { createWebhook } from "@/lib/webhooks";
import { ensureBuild, freePort, startApp, type AppServer } from "../../support/app-server";
import { eventually } from "../../support/eventually";
import { startReceiver, type Receiver } from "../../support/webhook-receiver";

const run = Date.now().toString(36);
const root = { kind: "system", name: "test" } as const;
const ENV = { WEBHOOK_POLL_MS: "250", WEBHOOK_RETRY_BASE_MS: "250", WEBHOOK_RETRY_MAX_MS: "1000", WEBHOOK_RETRY_WINDOW_MS: "120000", WEBHOOK_TIMEOUT_MS: "1500" };


describe("webhook delivery survives SIGKILL", () => {
  const apps: AppServer[] = [];
  const receivers: Receiver[] = [];
  const endpoints: string[] = [];

  beforeAll(() => ensureBuild(), 900_000);

  afterAll(async () => {
    await db.webhookEndpoint.deleteMany({ where: { id: { in: endpoints } } });
    for (const a of apps) await a.stop();
    for (const r of receivers) await r.close();
    await closeDb();
  });

  it("delivers after a restart an event recorded while the receiver was down, whose app was then killed", async () => {
    const port = await freePort();
    const { endpoint, secret } = await createWebhook(root, { url: `http://127.0.0.1:${port}/hook`, eventTypes: ["budget.threshold"] });
    endpoints.push(endpoint.id);
    const first = await startApp(ENV);
    apps.push(first);
    const eventId = await db.$transaction((tx) => recordEvent({ type: "budget.threshold", workspaceId: DEFAULT_WORKSPACE_ID, data: { threshold: 80, run } }, tx));
    // The first app saw it and failed to deliver it: nothing listens on the port yet.
    const failed = await eventually(async () => {
      const d = await db.webhookDelivery.findFirst({ where: { eventId, endpointId: endpoint.id } });
      return d && d.attempts >= 1 && d.lastError ? d : null;
    }, 20_000, "a failed first attempt");
    expect(failed.status).toBe("pending");
    expect(failed.lastError).toMatch(/ECONNREFUSED|connect/i);
    await first.kill();

    const rx = await startReceiver(port);
    receivers.push(rx);
    rx.secret = secret;
    apps.push(await startApp(ENV));
    // Other test files record budget.threshold events in Default too, and this endpoint gets them: find ours by id.
    const ours = await eventually(async () => rx.received.find((r) => r.json.id === eventId) ?? null, 30_000, "the delivery after the restart");
    expect(ours).toMatchObject({ verified: true, json: { id: eventId, type: "budget.threshold" } });
    await eventually(async () => (await db.webhookDelivery.findFirst({ where: { eventId, endpointId: endpoint.id } }))?.status === "delivered", 10_000, "delivered");
  });

  it("delivers after a restart an event whose attempt was under way when the app was killed", async () => {
    const rx = await startReceiver();
    receivers.push(rx);
    // The first request is held and never answered; the ones after it get 200.
    rx.respond = (n) => (n === 0 ? -1 : 200);
    const { endpoint, secret } = await createWebhook(root, { url: rx.url, eventTypes: ["budget.exhausted"] });
    endpoints.push(endpoint.id);
    rx.secret = secret;
    // No app is running: the event waits in the outbox.
    for (const a of apps.splice(0)) await a.stop();
    const eventId = await recordEvent({ type: "budget.exhausted", workspaceId: DEFAULT_WORKSPACE_ID, data: { run } });
    const victim = await startApp(ENV);
    apps.push(victim);
    await eventually(async () => rx.received.length >= 1, 20_000, "the attempt under way");
    await victim.kill();
    apps.push(await startApp(ENV));
    await eventually(async () => rx.received.length >= 2, 30_000, "the delivery after the lease ended");
    expect(rx.received.map((r) => r.json.id)).toEqual([eventId, eventId]);
    expect(rx.received[1]!.verified).toBe(true);
    const d = await eventually(async () => {
      const row = await db.webhookDelivery.findFirst({ where: { eventId, endpointId: endpoint.id } });
      return row?.status === "delivered" ? row : null;
    }, 10_000, "delivered");
    expect(d.attempts).toBe(2);
  });
});
