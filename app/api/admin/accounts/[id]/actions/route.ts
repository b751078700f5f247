// POST /api/admin/accounts/:id/actions with {"action": "disable" | "enable" |
// "drain" | "undrain" | "reset_circuit" | "probe"}. Audited; takes effect on
// every instance. "probe" answers with the probe's result.
import { apiRoute, idParams, methods } from "@/lib/http";
import { runHealthAction } from "@/lib/accounts";
import { accountHealthAction } from "@/lib/accounts/schemas";

const params = idParams("an account id");

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  POST: apiRoute({ auth: "instanceAdmin", params, body: accountHealthAction }, ({ params, body, principal, ip }) =>
    runHealthAction(principal, params.id, body, ip),
  ),
});
