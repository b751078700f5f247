// GET /api/admin/accounts: list provider accounts. POST: create one (201).
// The API key is write-only: responses carry `secretLast4`, never the secret.
import { apiRoute, methods } from "@/lib/http";
import { json } from "@/lib/core";
import { createAccount, createAccountInput, listAccounts } from "@/lib/accounts";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "instanceAdmin" }, async () => ({ data: await listAccounts() })),
  POST: apiRoute({ auth: "instanceAdmin", body: createAccountInput }, async ({ body, principal, ip }) =>
    json(await createAccount(principal, body, ip), { status: 201 }),
  ),
});
