// GET /api/admin/experiments/:id/results?phase=N: the results page's numbers (live refresh).
import { z } from "zod";
import { apiRoute, methods } from "@/lib/http";
import { experimentResults, resultsQuery } from "@/lib/experiments";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "session", role: "viewer", params: z.object({ id: z.string() }), query: resultsQuery }, ({ params, query }) =>
    experimentResults(params.id, query.phase),
  ),
});
