// GET /api/admin/usage/export/aggregate?<view>: the view aggregated per bucket and
// dimension (model, account, key, prompt version, variant, status) as streamed CSV.
// Any signed-in role, or an admin-scoped key.
import { apiRoute, methods } from "@/lib/http";
import { csvResponse } from "@/lib/core";
import { exportAggregate, usageViewQuery, viewFromQuery } from "@/lib/usage";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "sessionOrAdminKey", role: "viewer", query: usageViewQuery }, async ({ query, principal }) =>
    csvResponse(await exportAggregate(principal, viewFromQuery(query))),
  ),
});
