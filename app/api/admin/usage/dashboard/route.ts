// GET /api/admin/usage/dashboard?range&from&to&bucket&by&model&key&prompt&account&status:
// everything the Usage page shows for one view (KPIs, series, top-N), in one response.
import { methods } from "@/lib/http";
import { usageDashboard } from "@/lib/usage";
// The usage domain's HTTP adapter (auth for exports and the dashboard), kept out of lib/usage/index.ts so scripts can load the domain without Next.
import { usageRoute } from "@/lib/usage/http";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: usageRoute(({ view }) => usageDashboard(view)),
});
