// GET /api/admin/quotas/:id: one policy. PATCH: change any fields. DELETE:
// remove it and its counters (204). Audited; every instance drops its cache.
import { z } from "zod";
import { apiRoute, methods } from "@/lib/http";
import { deletePolicy, getPolicy, updatePolicy, updateQuotaPolicyInput } from "@/lib/quota";

const params = z.object({ id: z.string().uuid("must be a quota policy id") });

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin" }, async ({ params: raw }) => getPolicy(params.parse(raw).id)),
  PATCH: apiRoute({ auth: "admin", body: updateQuotaPolicyInput }, async ({ params: raw, body, principal, ip }) =>
    updatePolicy(principal, params.parse(raw).id, body, ip),
  ),
  DELETE: apiRoute({ auth: "admin" }, async ({ params: raw, principal, ip }) => {
    await deletePolicy(principal, params.parse(raw).id, ip);
  }),
});
