// DELETE /api/admin/keys/:id: revoke a key (idempotent). It stops working on
// this instance at once, on other instances as soon as they receive the
// LISTEN/NOTIFY message (milliseconds), and in any case within API_KEY_CACHE_TTL_MS.
import { z } from "zod";
import { apiRoute, methods } from "@/lib/http";
import { keyStatus, revokeApiKey } from "@/lib/auth";

const params = z.object({ id: z.string().uuid("must be a key id") });

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  DELETE: apiRoute({ auth: "admin" }, async ({ params: raw, principal, ip }) => {
    const { id } = params.parse(raw);
    const row = await revokeApiKey(principal, id, ip);
    return { ...row, status: keyStatus(row) };
  }),
});
