// POST /api/admin/webhooks/:id/rotate-secret: a new signing secret, returned this once; the old one
// stops signing at once. Audited.
import { apiRoute, idParams, methods } from "@/lib/http";
import { rotateWebhookSecret } from "@/lib/webhooks";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  POST: apiRoute({ auth: "admin", params: idParams("a webhook endpoint id") }, ({ params, principal, ip }) => rotateWebhookSecret(principal, params.id, ip)),
});
