// POST /api/admin/webhooks/:id/test: queues a signed `webhook.test` event for this endpoint through the
// real delivery path (202); its delivery shows in the endpoint's log. Audited.
import { json } from "@/lib/core";
import { apiRoute, idParams, methods } from "@/lib/http";
import { sendTestEvent } from "@/lib/webhooks";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  POST: apiRoute({ auth: "admin", params: idParams("a webhook endpoint id") }, async ({ params, principal, ip }) =>
    json(await sendTestEvent(principal, params.id, ip), { status: 202 }),
  ),
});
