// GET /api/admin/accounts/:id: one account. PATCH: change any fields
// (`apiKey` absent keeps the key, `null` clears it). DELETE: remove it (204).
import { apiRoute, idParams, methods } from "@/lib/http";
import { deleteAccount, getAccount, updateAccount, updateAccountInput } from "@/lib/accounts";

const params = idParams("an account id");

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "instanceAdmin", params }, async ({ params }) => getAccount(params.id)),
  PATCH: apiRoute({ auth: "instanceAdmin", params, body: updateAccountInput }, async ({ params, body, principal, ip }) =>
    updateAccount(principal, params.id, body, ip),
  ),
  DELETE: apiRoute({ auth: "instanceAdmin", params }, async ({ params, principal, ip }) => {
    await deleteAccount(principal, params.id, ip);
  }),
});
