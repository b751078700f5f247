// The provider URL policy at delivery time, not only at create: an endpoint saved under the default
// policy is refused once PROVIDER_URL_POLICY=public-only is in force, as an IP literal (before any
// request) and as a name whose resolved address is checked at connect time (DNS rebinding). In-process:
// deliverDue() is the worker's own pass.
import { lookup } from "node:dns/promises";
import { hostname } from "node:os";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_WORKSPACE_ID } from "@/lib/core";
import { closeDb, db } from "@/lib/db";
import { recordEvent } from "@/lib/events";
import { addressProblem } from "@/lib/providers/schemas";
import { createWebhook, deliverDue } from "@/lib/webhooks";
import { startReceiver, type Receiver } from "../../support/webhook-receiver";

const root = { kind: "system", name: "test" } as const;

describe("webhook URL policy at delivery", () => {
  let rx: Receiver;
  const endpoints: string[] = [];
  const policy = process.env.PROVIDER_URL_POLICY;

  beforeAll(async () => {
    rx = await startReceiver();
  });
  afterEach(() => {
    if (policy === undefined) delete process.env.PROVIDER_URL_POLICY;
    else process.env.PROVIDER_URL_POLICY = policy;
  });
  afterAll(async () => {
    await db.webhookEndpoint.deleteMany({ where: { id: { in: endpoints } } });
    await rx?.close();
    await closeDb();
  });

  async function deliveryAfterOnePass(url: string) {
    const { endpoint } = await createWebhook(root, { url, eventTypes: ["budget.threshold"] });
    endpoints.push(endpoint.id);
    process.env.PROVIDER_URL_POLICY = "public-only";
    const eventId = await recordEvent({ type: "budget.threshold", workspaceId: DEFAULT_WORKSPACE_ID, data: { threshold: 50 } });
    await deliverDue();
    return db.webhookDelivery.findFirstOrThrow({ where: { eventId, endpointId: endpoint.id } });
  }

  it("refuses an IP literal the policy now blocks before sending, and fails the delivery for good", async () => {
    const d = await deliveryAfterOnePass(rx.url);
    expect(d).toMatchObject({ status: "failed", attempts: 1, responseStatus: null });
    expect(d.lastError).toMatch(/^refused: the URL points at a private, loopback/);
    expect(rx.received).toHaveLength(0);
  });

  it("refuses at connect a name that resolves to an address the policy blocks", async () => {
    const name = hostname();
    const addresses = await lookup(name, { all: true });
    expect(addresses.some((a) => addressProblem(a.address, "public-only")), `${name} resolves to a non-public address`).toBe(true);
    const d = await deliveryAfterOnePass(`http://${name}:${rx.port}/hook`);
    expect(d.status).toBe("pending");
    expect(d.lastError).toContain("PROMPTGATE_BLOCKED_ADDRESS");
    expect(rx.received).toHaveLength(0);
  });
});
