// GET /api/admin/accounts/health: every account's health, combined across the
// cluster's instances (status, circuits, windows, latency, rates, sparklines).
import { apiRoute, methods } from "@/lib/http";
import { accountHealthReport } from "@/lib/accounts";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "instanceAdmin" }, () => accountHealthReport()),
});
