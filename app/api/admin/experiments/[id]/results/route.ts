// GET /api/admin/experiments/:id/results?phase=N: the results page's numbers (live refresh).
import { z } from "zod";
import { apiRoute, methods } from "@/lib/http";
import { workspaceOf } from "@/lib/auth";
import { experimentResults, resultsQuery } from "@/lib/experiments";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "session", role: "viewer", params: z.object({ id: z.string() }), query: resultsQuery }, ({ params, query, principal }) =>
    experimentResults(workspaceOf(principal), params.id, query.phase),
  ),
});
