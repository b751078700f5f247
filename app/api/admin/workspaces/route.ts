// GET /api/admin/workspaces: every workspace; POST: create one. Instance admins only.
import { apiRoute, methods } from "@/lib/http";
import { json } from "@/lib/core";
import { createWorkspace, createWorkspaceInput, listWorkspaces } from "@/lib/workspaces";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "instanceAdmin" }, async () => ({ data: await listWorkspaces() })),
  POST: apiRoute({ auth: "instanceAdmin", body: createWorkspaceInput }, async ({ body, principal, ip }) => json(await createWorkspace(principal, body, ip), { status: 201 })),
});
