// DELETE /api/admin/prompts/globals/:name: remove a global template variable (204).
import { apiRoute, methods } from "@/lib/http";
import { deleteGlobalVariable } from "@/lib/prompts";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  DELETE: apiRoute<undefined, undefined, { name: string }>({ auth: "admin" }, async ({ params, principal, ip }) => {
    await deleteGlobalVariable(principal, params.name, ip);
  }),
});
