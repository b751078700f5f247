// GET /api/admin/usage/export/events?<view>: the raw usage events of a view as CSV,
// streamed from a database cursor (never buffered).
import { methods } from "@/lib/http";
import { csvResponse, exportEvents, usageRoute } from "@/lib/usage";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: usageRoute(({ view }) => csvResponse(exportEvents(view))),
});
