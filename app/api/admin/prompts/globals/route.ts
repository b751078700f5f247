// GET /api/admin/prompts/globals: global template variables. PUT {name, value, description}: set one.
import { workspaceOf } from "@/lib/auth";
import { apiRoute, methods } from "@/lib/http";
import { globalVariableInput, listGlobalVariables, setGlobalVariable } from "@/lib/prompts";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin" }, async ({ principal }) => ({ data: await listGlobalVariables(workspaceOf(principal)) })),
  PUT: apiRoute({ auth: "admin", body: globalVariableInput }, ({ body, principal, ip }) => setGlobalVariable(principal, body, ip)),
});
