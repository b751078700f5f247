// GET /api/admin/usage/export/events?<view>[&include_logs=1]: the raw usage events of a view as CSV,
// streamed from a database cursor (never buffered). Redacted request logs only when asked for, and only for admins.
import { methods } from "@/lib/http";
import { AppError } from "@/lib/core";
import { isAdminPrincipal } from "@/lib/auth";
import { exportEvents } from "@/lib/usage";
// The usage domain's HTTP adapter (auth for exports and the dashboard), kept out of lib/usage/index.ts so scripts can load the domain without Next.
import { csvResponse, usageRoute } from "@/lib/usage/http";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: usageRoute(async ({ view, url, principal }) => {
    const includeLogs = url.searchParams.get("include_logs") === "1";
    if (includeLogs && !isAdminPrincipal(principal)) throw new AppError("forbidden", "Only admins may export request logs", { param: "include_logs" });
    return csvResponse(await exportEvents(principal, view, { includeLogs }));
  }),
});
