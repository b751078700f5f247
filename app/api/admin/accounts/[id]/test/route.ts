// POST /api/admin/accounts/:id/test: one real 1-token completion through the
// account (10 s limit). Answers 200 with `{ ok, latencyMs, model, status?, message }`
// whether or not the upstream accepted it; the attempt is audited.
import { apiRoute, idParams, methods } from "@/lib/http";
import { testConnection } from "@/lib/accounts";

const params = idParams("an account id");

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  POST: apiRoute({ auth: "instanceAdmin", params }, async ({ params, principal, ip }) => testConnection(principal, params.id, ip)),
});
