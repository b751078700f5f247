// Two instances deliver the same outbox: claims are FOR UPDATE SKIP LOCKED with a lease, so in the
// normal case (no crash, the receiver answers) every event reaches the endpoint exactly once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_WORKSPACE_ID } from "@/lib/core";
import { closeDb, db } from "@/lib/db";
import { recordEvent } from "@/lib/events";
import { createWebhook } from "@/lib/webhooks";
import { startApp, type AppServer } from "../../support/app-server";
import { eventually } from "../../support/eventually";
import { startReceiver, type Receiver } from "../../support/webhook-receiver";

const root = { kind: "system", name: "test" } as const;
const ENV = { WEBHOOK_POLL_MS: "100", WEBHOOK_TIMEOUT_MS: "5000" };
const EVENTS = 120;

describe("two instances, one outbox", () => {
  let apps: AppServer[] = [];
  let rx: Receiver;
  let endpointId = "";

  beforeAll(async () => {
    rx = await startReceiver();
    apps = [await startApp(ENV), await startApp(ENV)];
  }, 900_000);

  afterAll(async () => {
    await db.webhookEndpoint.deleteMany({ where: { id: endpointId } });
    for (const a of apps) await a.stop();
    await rx?.close();
    await closeDb();
  });

  it(`deliver each of ${EVENTS} events exactly once, every delivery in one attempt`, async () => {
    const { endpoint, secret } = await createWebhook(root, { url: rx.url, eventTypes: ["experiment.started"] });
    endpointId = endpoint.id;
    rx.secret = secret;
    // Bursts from many transactions at once, so both instances are woken and race for the same rows.
    const ids: string[] = [];
    for (let burst = 0; burst < EVENTS / 20; burst++) {
      ids.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => recordEvent({ type: "experiment.started", workspaceId: DEFAULT_WORKSPACE_ID, data: { n: burst * 20 + i } })))));
    }
    await eventually(async () => (await db.webhookDelivery.count({ where: { endpointId, status: "delivered" } })) === EVENTS, 60_000, "every delivery");
    // Anything late would have arrived by now.
    await new Promise((r) => setTimeout(r, 1000));
    const got = rx.received.map((r) => String(r.headers["webhook-id"]));
    expect(got.length).toBe(EVENTS);
    expect(new Set(got)).toEqual(new Set(ids));
    expect(rx.received.every((r) => r.verified)).toBe(true);
    const attempts = await db.webhookDelivery.groupBy({ by: ["attempts"], where: { endpointId }, _count: { _all: true } });
    expect(attempts.map((a) => [a.attempts, a._count._all])).toEqual([[1, EVENTS]]);
  });
});
