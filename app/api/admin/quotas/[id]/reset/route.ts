// POST /api/admin/quotas/:id/reset: forget what the current day or month window has used (one
// counter or all of the policy's), with a reason (instance admins). Audited with what was forgotten.
import { apiRoute, idParams, methods } from "@/lib/http";
import { resetWindow, resetWindowInput } from "@/lib/quota";

const params = idParams("a quota policy id");

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  POST: apiRoute({ auth: "instanceAdmin", params, body: resetWindowInput }, async ({ params, body, principal, ip }) => resetWindow(principal, params.id, body, ip)),
});
