// GET /api/console/accounts/health: every account's health for the console's
// live table, for every signed-in user (the management API's twin is admin-only).
import { apiRoute, methods } from "@/lib/http";
import { accountHealthReport } from "@/lib/accounts";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "session", role: "viewer" }, () => accountHealthReport()),
});
