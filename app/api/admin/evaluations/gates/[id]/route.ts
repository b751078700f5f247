// DELETE /api/admin/evaluations/gates/:id: remove a label's evaluation gate (204). Audited.
import { deleteGate } from "@/lib/evals";
import { apiRoute, idParams, methods } from "@/lib/http";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  DELETE: apiRoute({ auth: "admin", params: idParams("an evaluation gate id") }, async ({ params, principal, ip }) => {
    await deleteGate(principal, params.id, ip);
  }),
});
