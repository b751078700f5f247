// PATCH /api/admin/workspaces/:id { name?, allowedModels? }: rename, or set the allowed models. Instance admins only.
import { z } from "zod";
import { apiRoute, methods } from "@/lib/http";
import { updateWorkspace, workspaceId } from "@/lib/workspaces";

const params = z.object({ id: workspaceId });
const body = z.object({ name: z.string().optional(), allowedModels: z.array(z.string()).optional() });

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  PATCH: apiRoute({ auth: "instanceAdmin", params, body }, ({ params, body, principal, ip }) => updateWorkspace(principal, { ...body, id: params.id }, ip)),
});
