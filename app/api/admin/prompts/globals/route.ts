// GET /api/admin/prompts/globals: global template variables. PUT {name, value, description}: set one.
import { apiRoute, methods } from "@/lib/http";
import { globalVariableInput, listGlobalVariables, setGlobalVariable } from "@/lib/prompts";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin" }, async () => ({ data: await listGlobalVariables() })),
  PUT: apiRoute({ auth: "admin", body: globalVariableInput }, ({ body, principal, ip }) => setGlobalVariable(principal, body, ip)),
});
