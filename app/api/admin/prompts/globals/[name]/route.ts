// DELETE /api/admin/prompts/globals/:name: remove a global template variable (204).
import { apiRoute, methods, nameParams } from "@/lib/http";
import { deleteGlobalVariable } from "@/lib/prompts";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  DELETE: apiRoute({ auth: "admin", params: nameParams }, async ({ params, principal, ip }) => {
    await deleteGlobalVariable(principal, params.name, ip);
  }),
});
