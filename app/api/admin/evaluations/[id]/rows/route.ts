// GET /api/admin/evaluations/:id/rows?status=&failing=&offset=&limit=: the results table, each row's
// variables, expected and actual output, scores, latency and cost.
import { runRows, runRowsQuery } from "@/lib/evals";
import { apiRoute, idParams, methods } from "@/lib/http";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin", params: idParams("an evaluation run id"), query: runRowsQuery }, ({ params, query, principal }) => runRows(principal, params.id, query)),
});
