// POST /api/admin/evaluations/:id/cancel: no new row starts; the rows under way finish. 409 once ended. Audited.
import { cancelRun } from "@/lib/evals";
import { apiRoute, idParams, methods } from "@/lib/http";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  POST: apiRoute({ auth: "admin", params: idParams("an evaluation run id") }, ({ params, principal, ip }) => cancelRun(principal, params.id, ip)),
});
