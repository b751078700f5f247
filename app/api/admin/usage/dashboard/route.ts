// GET /api/admin/usage/dashboard?range&from&to&bucket&by&model&key&prompt&account&status&workspace:
// everything the Usage page shows for one view (KPIs, series, top-N), in one response.
// Any signed-in role (the Usage page is for viewers too), or an admin-scoped key; the caller's
// workspace unless an instance admin asks for another or for all (usageScope: 404 otherwise).
import { apiRoute, methods } from "@/lib/http";
import { usageDashboard, usageScope, usageViewQuery, viewFromQuery } from "@/lib/usage";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "sessionOrAdminKey", role: "viewer", query: usageViewQuery }, async ({ query, principal }) =>
    usageDashboard(await usageScope(principal, query.workspace), viewFromQuery(query)),
  ),
});
