// GET /api/admin/experiments/:id/results?phase=N: the results page's numbers (live refresh).
import { apiRoute, methods } from "@/lib/http";
import { experimentResults, resultsQuery } from "@/lib/experiments";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute<undefined, typeof resultsQuery, { id: string }>({ auth: "session", role: "viewer", query: resultsQuery }, ({ params, query }) =>
    experimentResults(params.id, query.phase),
  ),
});
