// GET /api/admin/usage/export/events?<view>: the raw usage events of a view as CSV,
// streamed from a database cursor (never buffered).
import { methods } from "@/lib/http";
import { exportEvents } from "@/lib/usage";
// The usage domain's HTTP adapter (auth for exports and the dashboard), kept out of lib/usage/index.ts so scripts can load the domain without Next.
import { csvResponse, usageRoute } from "@/lib/usage/http";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: usageRoute(({ view }) => csvResponse(exportEvents(view))),
});
