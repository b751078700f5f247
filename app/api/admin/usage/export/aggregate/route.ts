// GET /api/admin/usage/export/aggregate?<view>: the view aggregated per bucket and
// dimension (model, account, key, prompt version, variant, status) as streamed CSV.
import { methods } from "@/lib/http";
import { csvResponse, exportAggregate, usageRoute } from "@/lib/usage";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: usageRoute(({ view }) => csvResponse(exportAggregate(view))),
});
