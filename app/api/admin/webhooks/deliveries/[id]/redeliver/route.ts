// POST /api/admin/webhooks/deliveries/:id/redeliver: queues a delivery again now, with a fresh retry
// window, whatever its status. Audited; a delivery of another workspace's endpoint answers 404.
import { apiRoute, idParams, methods } from "@/lib/http";
import { redeliver } from "@/lib/webhooks";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  POST: apiRoute({ auth: "admin", params: idParams("a webhook delivery id") }, ({ params, principal, ip }) => redeliver(principal, params.id, ip)),
});
