// GET /api/admin/accounts/:id: one account. PATCH: change any fields
// (`apiKey` absent keeps the key, `null` clears it). DELETE: remove it (204).
import { z } from "zod";
import { apiRoute, methods } from "@/lib/http";
import { deleteAccount, getAccount, updateAccount, updateAccountInput } from "@/lib/accounts";

const params = z.object({ id: z.string().uuid("must be an account id") });

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin" }, async ({ params: raw }) => getAccount(params.parse(raw).id)),
  PATCH: apiRoute({ auth: "admin", body: updateAccountInput }, async ({ params: raw, body, principal, ip }) =>
    updateAccount(principal, params.parse(raw).id, body, ip),
  ),
  DELETE: apiRoute({ auth: "admin" }, async ({ params: raw, principal, ip }) => {
    await deleteAccount(principal, params.parse(raw).id, ip);
  }),
});
