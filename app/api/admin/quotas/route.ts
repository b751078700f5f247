// GET /api/admin/quotas: list quota policies. POST: create one (201). Audited.
import { workspaceOf } from "@/lib/auth";
import { apiRoute, methods } from "@/lib/http";
import { json } from "@/lib/core";
import { createPolicy, createQuotaPolicyInput, listPolicies } from "@/lib/quota";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin" }, async ({ principal }) => ({ data: await listPolicies(workspaceOf(principal)) })),
  POST: apiRoute({ auth: "admin", body: createQuotaPolicyInput }, async ({ body, principal, ip }) =>
    json(await createPolicy(principal, body, ip), { status: 201 }),
  ),
});
