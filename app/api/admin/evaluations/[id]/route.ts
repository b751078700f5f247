// GET /api/admin/evaluations/:id: the run, its progress (done, failed, remaining, ETA) and the aggregates
// per scorer with 95% intervals. DELETE: remove an ended run (204). Another workspace's id answers 404.
import { deleteRun, runResults } from "@/lib/evals";
import { apiRoute, idParams, methods } from "@/lib/http";

const params = idParams("an evaluation run id");

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin", params }, ({ params, principal }) => runResults(principal, params.id)),
  DELETE: apiRoute({ auth: "admin", params }, async ({ params, principal, ip }) => {
    await deleteRun(principal, params.id, ip);
  }),
});
