// GET /api/admin/quotas: list quota policies. POST: create one (201). Audited.
import { apiRoute, methods } from "@/lib/http";
import { json } from "@/lib/core";
import { createPolicy, createQuotaPolicyInput, listPolicies } from "@/lib/quota";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin" }, async () => ({ data: await listPolicies() })),
  POST: apiRoute({ auth: "admin", body: createQuotaPolicyInput }, async ({ body, principal, ip }) =>
    json(await createPolicy(principal, body, ip), { status: 201 }),
  ),
});
