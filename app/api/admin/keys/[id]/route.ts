// DELETE /api/admin/keys/:id: revoke a key (idempotent). It stops working on
// this instance at once, on other instances as soon as they receive the
// LISTEN/NOTIFY message (milliseconds), and in any case within API_KEY_CACHE_TTL_MS.
import { apiRoute, idParams, methods } from "@/lib/http";
import { keyStatus, revokeApiKey } from "@/lib/auth";

const params = idParams("a key id");

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  DELETE: apiRoute({ auth: "admin", params }, async ({ params, principal, ip }) => {
    const row = await revokeApiKey(principal, params.id, ip);
    return { ...row, status: keyStatus(row) };
  }),
});
