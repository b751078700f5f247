// GET /api/admin/webhooks/:id: one endpoint. PATCH: change its URL, events, format or enabled flag.
// DELETE: remove it and its delivery log (204). Audited; another workspace's id answers 404.
import { apiRoute, idParams, methods } from "@/lib/http";
import { deleteWebhook, getWebhook, updateWebhook, updateWebhookInput } from "@/lib/webhooks";

const params = idParams("a webhook endpoint id");

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin", params }, ({ params, principal }) => getWebhook(principal, params.id)),
  PATCH: apiRoute({ auth: "admin", params, body: updateWebhookInput }, ({ params, body, principal, ip }) => updateWebhook(principal, params.id, body, ip)),
  DELETE: apiRoute({ auth: "admin", params }, async ({ params, principal, ip }) => {
    await deleteWebhook(principal, params.id, ip);
  }),
});
