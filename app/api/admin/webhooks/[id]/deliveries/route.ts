// GET /api/admin/webhooks/:id/deliveries?status=&limit=: the endpoint's delivery log, newest first
// (status, attempts, response code, latest error).
import { apiRoute, idParams, methods } from "@/lib/http";
import { listDeliveries, listDeliveriesQuery } from "@/lib/webhooks";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin", params: idParams("a webhook endpoint id"), query: listDeliveriesQuery }, async ({ params, query, principal }) => ({
    data: await listDeliveries(principal, params.id, query),
  })),
});
