// Who may reach which webhook endpoint (issue 19 §3): a workspace's admins manage its own endpoints;
// instance-wide ones are instance admins'. Another workspace's endpoint or delivery answers 404 (IDOR),
// by the domain functions the console calls and by the management API's handlers. Every change is
// audited, and the secret is never in the audit log.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/lib/auth/api-keys";
import type { Principal } from "@/lib/core";
import { closeDb, db } from "@/lib/db";
import { recordEvent } from "@/lib/events";
import {
  createWebhook, deleteWebhook, deliverDue, getWebhook, listDeliveries, listWebhooks, redeliver, rotateWebhookSecret, sendTestEvent, updateWebhook,
} from "@/lib/webhooks";
import { createWorkspace } from "@/lib/workspaces";
import * as webhookRoute from "@/app/api/admin/webhooks/[id]/route";
import * as testRoute from "@/app/api/admin/webhooks/[id]/test/route";
import * as deliveriesRoute from "@/app/api/admin/webhooks/[id]/deliveries/route";
import * as redeliverRoute from "@/app/api/admin/webhooks/deliveries/[id]/redeliver/route";
import { call } from "../../support/http";

const run = Date.now().toString(36);
const root = { kind: "system", name: "test" } as const;

async function expect404(what: string, p: Promise<unknown>) {
  const err = await p.then(() => null, (e: unknown) => e);
  expect({ what, status: (err as { status?: number } | null)?.status ?? "resolved" }).toEqual({ what, status: 404 });
}

describe("webhook endpoints: scoping, IDOR and audit", () => {
  let A = "";
  let B = "";
  let adminOfA: Principal;
  let instanceAdmin: Principal;
  const b = { endpoint: "", delivery: "" };
  let instanceEndpoint = "";
  let keyA: Record<string, string>;

  beforeAll(async () => {
    A = (await createWorkspace(root, { name: "Hooks A", slug: `hooks-a-${run}` })).id;
    B = (await createWorkspace(root, { name: "Hooks B", slug: `hooks-idor-b-${run}` })).id;
    adminOfA = { kind: "user", user: { id: randomUUID(), email: `admin-${run}@a.test`, name: "A admin", role: "admin", instanceAdmin: false, workspace: { id: A, slug: `hooks-a-${run}`, name: "A", allowedModels: [] } } };
    instanceAdmin = { kind: "user", user: { id: randomUUID(), email: `root-${run}@a.test`, name: "root", role: "admin", instanceAdmin: true, workspace: { id: A, slug: `hooks-a-${run}`, name: "A", allowedModels: [] } } };
    const inB: Principal = { kind: "system", name: "test", workspaceId: B };
    // B's endpoint points at a port nothing listens on; its delivery fails and stays in the log.
    b.endpoint = (await createWebhook(inB, { url: "http://127.0.0.1:9/b-hook", eventTypes: ["experiment.started"] })).endpoint.id;
    instanceEndpoint = (await createWebhook(root, { url: "http://127.0.0.1:9/instance-hook", eventTypes: ["prompt.label_moved"], scope: "instance" })).endpoint.id;
    await recordEvent({ type: "experiment.started", workspaceId: B, data: { run } });
    await deliverDue();
    b.delivery = (await db.webhookDelivery.findFirstOrThrow({ where: { endpointId: b.endpoint } })).id;
    keyA = { authorization: `Bearer ${(await createApiKey({ kind: "system", name: "test", workspaceId: A }, { name: `hooks-a-admin-${run}`, scopes: ["admin"] })).key}` };
  });

  afterAll(async () => {
    await db.webhookEndpoint.deleteMany({ where: { OR: [{ workspaceId: { in: [A, B] } }, { id: instanceEndpoint }] } });
    await closeDb();
  });

  it("an admin of A gets 404 for B's endpoint and its deliveries, by every domain function", async () => {
    await expect404("getWebhook", getWebhook(adminOfA, b.endpoint));
    await expect404("updateWebhook", updateWebhook(adminOfA, b.endpoint, { enabled: false }));
    await expect404("deleteWebhook", deleteWebhook(adminOfA, b.endpoint));
    await expect404("rotateWebhookSecret", rotateWebhookSecret(adminOfA, b.endpoint));
    await expect404("sendTestEvent", sendTestEvent(adminOfA, b.endpoint));
    await expect404("listDeliveries", listDeliveries(adminOfA, b.endpoint));
    await expect404("redeliver", redeliver(adminOfA, b.delivery));
    expect((await listWebhooks(adminOfA)).map((e) => e.id)).not.toContain(b.endpoint);
    // B's endpoint is untouched.
    expect((await db.webhookEndpoint.findUniqueOrThrow({ where: { id: b.endpoint } })).enabled).toBe(true);
  });

  it("an admin key of A gets 404 for B's endpoint and delivery through the management API", async () => {
    for (const [what, handler, method, params] of [
      ["GET endpoint", webhookRoute.GET, "GET", { id: b.endpoint }],
      ["PATCH endpoint", webhookRoute.PATCH, "PATCH", { id: b.endpoint }],
      ["DELETE endpoint", webhookRoute.DELETE, "DELETE", { id: b.endpoint }],
      ["POST test", testRoute.POST, "POST", { id: b.endpoint }],
      ["GET deliveries", deliveriesRoute.GET, "GET", { id: b.endpoint }],
      ["POST redeliver", redeliverRoute.POST, "POST", { id: b.delivery }],
    ] as const) {
      const r = await call(handler, { method, path: "/api/admin/webhooks/x", headers: keyA, params, ...(method === "PATCH" ? { body: { enabled: false } } : {}) });
      expect({ what, status: r.status }).toEqual({ what, status: 404 });
    }
  });

  it("instance-wide endpoints: hidden from (404) and not creatable by (403) a workspace admin; an instance admin manages them", async () => {
    await expect404("getWebhook instance-wide", getWebhook(adminOfA, instanceEndpoint));
    expect((await listWebhooks(adminOfA)).map((e) => e.id)).not.toContain(instanceEndpoint);
    await expect(createWebhook(adminOfA, { url: "http://127.0.0.1:9/x", eventTypes: ["budget.threshold"], scope: "instance" })).rejects.toMatchObject({ status: 403 });
    const seen = (await listWebhooks(instanceAdmin)).map((e) => e.id);
    expect(seen).toContain(instanceEndpoint);
    expect(seen).not.toContain(b.endpoint);
    expect((await getWebhook(instanceAdmin, instanceEndpoint)).scope).toBe("instance");
  });

  it("audits create, disable, rotate, test send, redelivery and delete, without the secret", async () => {
    const { endpoint, secret } = await createWebhook(adminOfA, { url: "http://127.0.0.1:9/audited", eventTypes: ["budget.threshold"] });
    await updateWebhook(adminOfA, endpoint.id, { enabled: false });
    const rotated = await rotateWebhookSecret(adminOfA, endpoint.id);
    const { deliveryId } = await sendTestEvent(adminOfA, endpoint.id);
    await redeliver(adminOfA, deliveryId);
    await deleteWebhook(adminOfA, endpoint.id);
    const entries = await db.auditLog.findMany({ where: { targetId: endpoint.id }, orderBy: { createdAt: "asc" } });
    expect(entries.map((e) => e.action)).toEqual(["webhook.create", "webhook.disable", "webhook.rotate_secret", "webhook.test", "webhook.redeliver", "webhook.delete"]);
    expect(entries.every((e) => e.workspaceId === A && e.actorEmail === `admin-${run}@a.test`)).toBe(true);
    const text = JSON.stringify(entries);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(rotated.secret);
    // Stored encrypted, not as written.
    expect(text).not.toContain("whsec_");
  });
});
