import "server-only";
import { recordAudit } from "@/lib/audit";
import { AppError, isInstanceAdmin, workspaceOf, type Principal } from "@/lib/core";
import { db, publishInvalidation, type DbClient, type Prisma } from "@/lib/db";
import { recordEvent, TEST_EVENT } from "@/lib/events";
import { encryptSecret } from "@/lib/secrets";
import {
  createWebhookInput, listDeliveriesQuery, updateWebhookInput, type DeliveryStatus, type WebhookFormat,
} from "./schemas";
import { newWebhookSecret } from "./signing";
import { assertWebhookUrlAllowed } from "./url";
import { config } from "@/lib/config";

// Endpoints and their deliveries, scoped: a caller reaches its workspace's endpoints, and an instance
// admin also the instance-wide ones (workspaceId null). Anything else answers 404, never 403.
// Every change is audited in its own transaction.

export type WebhookEndpointView = {
  id: string; workspaceId: string | null; scope: "workspace" | "instance"; url: string; description: string;
  eventTypes: string[]; format: WebhookFormat; enabled: boolean; createdAt: string; updatedAt: string;
  deliveries: { pending: number; delivered: number; failed: number };
};

export type WebhookDeliveryView = {
  id: string; endpointId: string | null; target: string; eventId: string; eventType: string; eventWorkspaceId: string | null;
  status: DeliveryStatus; attempts: number; responseStatus: number | null; lastError: string | null;
  lastAttemptAt: string | null; nextAttemptAt: string | null; deliveredAt: string | null; expiresAt: string; createdAt: string;
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The endpoints a principal may see: its workspace's, plus the instance's for an instance admin. */
function visible(actor: Principal): Prisma.WebhookEndpointWhereInput {
  const own = { workspaceId: workspaceOf(actor) };
  return isInstanceAdmin(actor) ? { OR: [own, { workspaceId: null }] } : own;
}

const notFound = (id: string) => new AppError("not_found", `Webhook endpoint ${id} not found`);

type EndpointRow = Prisma.WebhookEndpointGetPayload<object>;

function view(e: EndpointRow, counts?: Map<string, number>): WebhookEndpointView {
  const n = (s: string) => counts?.get(`${e.id}:${s}`) ?? 0;
  return {
    id: e.id, workspaceId: e.workspaceId, scope: e.workspaceId ? "workspace" : "instance", url: e.url, description: e.description,
    eventTypes: e.eventTypes, format: e.format as WebhookFormat, enabled: e.enabled, createdAt: e.createdAt.toISOString(), updatedAt: e.updatedAt.toISOString(),
    deliveries: { pending: n("pending"), delivered: n("delivered"), failed: n("failed") },
  };
}

/** What an audit entry shows of an endpoint: never the secret. */
const audited = (e: EndpointRow) => ({ url: e.url, description: e.description, eventTypes: e.eventTypes, format: e.format, enabled: e.enabled, scope: e.workspaceId ? "workspace" : "instance" });

async function audit<T>(actor: Principal, action: string, workspaceId: string | null, ip: string | null | undefined, fn: (tx: DbClient) => Promise<{ result: T; targetId: string; before?: unknown; after?: unknown }>): Promise<T> {
  return db.$transaction(async (tx) => {
    const out = await fn(tx);
    await recordAudit(actor, { action, targetType: "webhook", targetId: out.targetId, before: out.before, after: out.after, ip: ip ?? null, workspaceId }, tx);
    return out.result;
  });
}

async function findVisible(actor: Principal, id: string): Promise<EndpointRow> {
  const e = await db.webhookEndpoint.findFirst({ where: { AND: [{ id }, visible(actor)] } });
  if (!e) throw notFound(id);
  return e;
}

export async function listWebhooks(actor: Principal): Promise<WebhookEndpointView[]> {
  const rows = await db.webhookEndpoint.findMany({ where: visible(actor), orderBy: [{ workspaceId: { sort: "asc", nulls: "first" } }, { createdAt: "asc" }] });
  const counts = new Map<string, number>();
  if (rows.length) {
    const grouped = await db.webhookDelivery.groupBy({ by: ["endpointId", "status"], where: { endpointId: { in: rows.map((r) => r.id) } }, _count: { _all: true } });
    for (const g of grouped) counts.set(`${g.endpointId}:${g.status}`, g._count._all);
  }
  return rows.map((r) => view(r, counts));
}

export async function getWebhook(actor: Principal, id: string): Promise<WebhookEndpointView> {
  return view(await findVisible(actor, id));
}

/** Creates an endpoint; the secret is returned this once. */
export async function createWebhook(actor: Principal, input: unknown, ip?: string | null): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
  const data = createWebhookInput.parse(input);
  if (data.scope === "instance" && !isInstanceAdmin(actor)) throw new AppError("forbidden", "Only an instance admin may create an instance-wide webhook", { param: "scope" });
  await assertWebhookUrlAllowed(data.url);
  const secret = newWebhookSecret();
  const workspaceId = data.scope === "instance" ? null : workspaceOf(actor);
  const row = await audit(actor, "webhook.create", workspaceId, ip, async (tx) => {
    const e = await tx.webhookEndpoint.create({
      data: { workspaceId, url: data.url, description: data.description, eventTypes: data.eventTypes, format: data.format, enabled: data.enabled, secret: encryptSecret(secret) },
    });
    return { result: e, targetId: e.id, after: audited(e) };
  });
  return { endpoint: view(row), secret };
}

export async function updateWebhook(actor: Principal, id: string, input: unknown, ip?: string | null): Promise<WebhookEndpointView> {
  const data = updateWebhookInput.parse(input);
  const current = await findVisible(actor, id);
  if (data.url !== undefined) await assertWebhookUrlAllowed(data.url);
  const row = await audit(actor, data.enabled !== undefined && Object.keys(data).length === 1 ? (data.enabled ? "webhook.enable" : "webhook.disable") : "webhook.update", current.workspaceId, ip, async (tx) => {
    const e = await tx.webhookEndpoint.update({ where: { id }, data });
    return { result: e, targetId: id, before: audited(current), after: audited(e) };
  });
  return view(row);
}

export async function deleteWebhook(actor: Principal, id: string, ip?: string | null): Promise<void> {
  const current = await findVisible(actor, id);
  await audit(actor, "webhook.delete", current.workspaceId, ip, async (tx) => {
    await tx.webhookEndpoint.delete({ where: { id } });
    return { result: undefined, targetId: id, before: audited(current) };
  });
}

/** A new secret, returned this once; the old one stops signing at once. */
export async function rotateWebhookSecret(actor: Principal, id: string, ip?: string | null): Promise<{ secret: string }> {
  const current = await findVisible(actor, id);
  const secret = newWebhookSecret();
  await audit(actor, "webhook.rotate_secret", current.workspaceId, ip, async (tx) => {
    await tx.webhookEndpoint.update({ where: { id }, data: { secret: encryptSecret(secret) } });
    return { result: undefined, targetId: id };
  });
  return { secret };
}

/**
 * Sends a `webhook.test` event to this endpoint through the real delivery path: an outbox row and its
 * one delivery, written together, which a worker then claims, signs and posts like any other.
 */
export async function sendTestEvent(actor: Principal, id: string, ip?: string | null): Promise<{ eventId: string; deliveryId: string }> {
  const current = await findVisible(actor, id);
  const out = await audit(actor, "webhook.test", current.workspaceId, ip, async (tx) => {
    const eventId = await recordEvent({ type: TEST_EVENT, workspaceId: current.workspaceId, data: { endpointId: id, message: "Test event from Promptgate" } }, tx);
    const d = await tx.webhookDelivery.create({
      data: { eventId, endpointId: id, target: id, expiresAt: new Date(Date.now() + config().WEBHOOK_RETRY_WINDOW_MS) },
      select: { id: true },
    });
    return { result: { eventId, deliveryId: d.id }, targetId: id, after: { eventId } };
  });
  await publishInvalidation("outbox").catch(() => {});
  return out;
}

function deliveryView(d: Prisma.WebhookDeliveryGetPayload<{ include: { event: { select: { type: true; workspaceId: true } } } }>): WebhookDeliveryView {
  return {
    id: d.id, endpointId: d.endpointId, target: d.target, eventId: d.eventId, eventType: d.event.type, eventWorkspaceId: d.event.workspaceId,
    status: d.status as DeliveryStatus, attempts: d.attempts, responseStatus: d.responseStatus, lastError: d.lastError,
    lastAttemptAt: iso(d.lastAttemptAt), nextAttemptAt: d.status === "pending" ? iso(d.nextAttemptAt) : null, deliveredAt: iso(d.deliveredAt),
    expiresAt: d.expiresAt.toISOString(), createdAt: d.createdAt.toISOString(),
  };
}

/** The delivery log of one endpoint, newest first. */
export async function listDeliveries(actor: Principal, endpointId: string, query: unknown = {}): Promise<WebhookDeliveryView[]> {
  const q = listDeliveriesQuery.parse(query);
  await findVisible(actor, endpointId);
  const rows = await db.webhookDelivery.findMany({
    where: { endpointId, ...(q.status ? { status: q.status } : {}) },
    include: { event: { select: { type: true, workspaceId: true } } },
    orderBy: { createdAt: "desc" },
    take: q.limit,
  });
  return rows.map(deliveryView);
}

/** A delivery's endpoint must be one the caller sees; email deliveries belong to the instance. */
async function findVisibleDelivery(actor: Principal, id: string) {
  const d = await db.webhookDelivery.findUnique({ where: { id }, include: { endpoint: true, event: { select: { type: true, workspaceId: true } } } });
  const ok = d && (d.endpoint ? d.endpoint.workspaceId === null ? isInstanceAdmin(actor) : d.endpoint.workspaceId === workspaceOf(actor) : isInstanceAdmin(actor));
  if (!d || !ok) throw new AppError("not_found", `Webhook delivery ${id} not found`);
  return d;
}

/** Puts a delivery (delivered, failed or pending) back in the queue now, with a fresh retry window. */
export async function redeliver(actor: Principal, id: string, ip?: string | null): Promise<WebhookDeliveryView> {
  const d = await findVisibleDelivery(actor, id);
  const row = await audit(actor, "webhook.redeliver", d.endpoint?.workspaceId ?? null, ip, async (tx) => {
    const u = await tx.webhookDelivery.update({
      where: { id },
      data: { status: "pending", nextAttemptAt: new Date(), expiresAt: new Date(Date.now() + config().WEBHOOK_RETRY_WINDOW_MS) },
      include: { event: { select: { type: true, workspaceId: true } } },
    });
    return { result: u, targetId: d.endpointId ?? "email", before: { delivery: id, status: d.status, attempts: d.attempts }, after: { delivery: id, status: "pending" } };
  });
  await publishInvalidation("outbox").catch(() => {});
  return deliveryView(row);
}
