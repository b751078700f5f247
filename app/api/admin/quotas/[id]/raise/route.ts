// POST /api/admin/quotas/:id/raise: raise some day/month limits of a policy until a time, with a
// reason (instance admins). DELETE: end the raise now. Audited; binds the next call of every instance.
import { apiRoute, idParams, methods } from "@/lib/http";
import { endRaise, raisePolicy, raisePolicyInput } from "@/lib/quota";

const params = idParams("a quota policy id");

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  POST: apiRoute({ auth: "instanceAdmin", params, body: raisePolicyInput }, async ({ params, body, principal, ip }) => raisePolicy(principal, params.id, body, ip)),
  DELETE: apiRoute({ auth: "instanceAdmin", params }, async ({ params, principal, ip }) => endRaise(principal, params.id, ip)),
});
