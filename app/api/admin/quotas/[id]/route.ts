// GET /api/admin/quotas/:id: one policy. PATCH: change any fields. DELETE:
// remove it and its counters (204). Audited; every instance drops its cache.
import { workspaceOf } from "@/lib/auth";
import { apiRoute, idParams, methods } from "@/lib/http";
import { deletePolicy, getPolicy, updatePolicy, updateQuotaPolicyInput } from "@/lib/quota";

const params = idParams("a quota policy id");

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin", params }, async ({ params, principal }) => getPolicy(workspaceOf(principal), params.id)),
  PATCH: apiRoute({ auth: "admin", params, body: updateQuotaPolicyInput }, async ({ params, body, principal, ip }) =>
    updatePolicy(principal, params.id, body, ip),
  ),
  DELETE: apiRoute({ auth: "admin", params }, async ({ params, principal, ip }) => {
    await deletePolicy(principal, params.id, ip);
  }),
});
