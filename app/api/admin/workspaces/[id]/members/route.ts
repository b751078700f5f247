// GET /api/admin/workspaces/:id/members; PUT { email, role }: add a member or change their role;
// DELETE ?email=: remove them. Instance admins only.
import { z } from "zod";
import { apiRoute, methods } from "@/lib/http";
import { listMembers, removeMember, setMember, workspaceId } from "@/lib/workspaces";

const params = z.object({ id: workspaceId });
const member = z.object({ email: z.string(), role: z.string() });

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "instanceAdmin", params }, async ({ params }) => ({ data: await listMembers(params.id) })),
  PUT: apiRoute({ auth: "instanceAdmin", params, body: member }, ({ params, body, principal, ip }) => setMember(principal, { ...body, workspaceId: params.id }, ip)),
  DELETE: apiRoute({ auth: "instanceAdmin", params, query: z.object({ email: z.string() }) }, async ({ params, query, principal, ip }) => {
    await removeMember(principal, { workspaceId: params.id, email: query.email }, ip);
    return new Response(null, { status: 204 });
  }),
});
