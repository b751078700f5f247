// GET /api/admin/usage/dashboard?range&from&to&bucket&by&model&key&prompt&account&status:
// everything the Usage page shows for one view (KPIs, series, top-N), in one response.
import { methods } from "@/lib/http";
import { usageDashboard, usageRoute } from "@/lib/usage";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: usageRoute(({ view }) => usageDashboard(view)),
});
