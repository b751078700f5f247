// GET /api/admin/keys: list keys (never their secrets). POST: create one; the
// full key is in this response only.
import { apiRoute, methods } from "@/lib/http";
import { json } from "@/lib/core";
import { createApiKey, createApiKeyInput, keyStatus, listApiKeys, workspaceOf } from "@/lib/auth";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin" }, async ({ principal }) => ({
    data: (await listApiKeys(workspaceOf(principal))).map((k) => ({ ...k, createdBy: k.createdBy?.email ?? null, status: keyStatus(k) })),
  })),
  POST: apiRoute({ auth: "admin", body: createApiKeyInput }, async ({ body, principal, ip }) => {
    const { key, row } = await createApiKey(principal, body, ip);
    return json({ ...row, key, status: keyStatus(row) }, { status: 201 });
  }),
});
