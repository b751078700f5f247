// GET /api/admin/usage/export/aggregate?<view>: the view aggregated per bucket and
// dimension (model, account, key, prompt version, variant, status) as streamed CSV.
import { methods } from "@/lib/http";
import { exportAggregate } from "@/lib/usage";
// The usage domain's HTTP adapter (auth for exports and the dashboard), kept out of lib/usage/index.ts so scripts can load the domain without Next.
import { csvResponse, usageRoute } from "@/lib/usage/http";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: usageRoute(async ({ view, principal }) => csvResponse(await exportAggregate(principal, view))),
});
