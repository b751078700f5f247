// GET /api/admin/usage/dashboard?range&from&to&bucket&by&model&key&prompt&account&status:
// everything the Usage page shows for one view (KPIs, series, top-N), in one response.
// Any signed-in role (the Usage page is for viewers too), or an admin-scoped key.
import { workspaceOf } from "@/lib/auth";
import { apiRoute, methods } from "@/lib/http";
import { usageDashboard, usageViewQuery, viewFromQuery } from "@/lib/usage";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "sessionOrAdminKey", role: "viewer", query: usageViewQuery }, ({ query, principal }) => usageDashboard(workspaceOf(principal), viewFromQuery(query))),
});
