// POST /api/admin/accounts/:id/actions with {"action": "disable" | "enable" |
// "drain" | "undrain" | "reset_circuit" | "probe"}. Audited; takes effect on
// every instance. "probe" answers with the probe's result.
import { z } from "zod";
import { apiRoute, methods } from "@/lib/http";
import { runHealthAction } from "@/lib/accounts";
import { accountHealthAction } from "@/lib/accounts/schemas";

const params = z.object({ id: z.string().uuid("must be an account id") });

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  POST: apiRoute({ auth: "admin", body: accountHealthAction }, ({ params: raw, body, principal, ip }) =>
    runHealthAction(principal, params.parse(raw).id, body, ip),
  ),
});
