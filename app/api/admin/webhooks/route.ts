// GET /api/admin/webhooks: the workspace's webhook endpoints (and, for an instance admin, the instance-wide
// ones). POST: create one (201); the response carries its signing secret, shown this once. Audited.
import { json } from "@/lib/core";
import { apiRoute, methods } from "@/lib/http";
import { createWebhook, createWebhookInput, listWebhooks } from "@/lib/webhooks";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin" }, async ({ principal }) => ({ data: await listWebhooks(principal) })),
  POST: apiRoute({ auth: "admin", body: createWebhookInput }, async ({ body, principal, ip }) => json(await createWebhook(principal, body, ip), { status: 201 })),
});
