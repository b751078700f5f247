// GET /api/admin/usage/export/events?<view>[&include_logs=1]: the raw usage events of a view as CSV,
// streamed from a database cursor (never buffered). Redacted request logs only when asked for, and only for admins.
import { apiRoute, methods } from "@/lib/http";
import { AppError, csvResponse, isAdminPrincipal } from "@/lib/core";
import { exportEvents, usageViewQuery, viewFromQuery } from "@/lib/usage";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "sessionOrAdminKey", role: "viewer", query: usageViewQuery }, async ({ query, url, principal }) => {
    const includeLogs = url.searchParams.get("include_logs") === "1";
    if (includeLogs && !isAdminPrincipal(principal)) throw new AppError("forbidden", "Only admins may export request logs", { param: "include_logs" });
    return csvResponse(await exportEvents(principal, viewFromQuery(query), { includeLogs }));
  }),
});
