// PUT /api/admin/prompts/:name/labels/:label {version}: point a label at a version
// (promotion and rollback; protected labels need an admin). DELETE: remove a label.
import { z } from "zod";
import { apiRoute, methods } from "@/lib/http";
import { deleteLabel, moveLabel, moveLabelInput } from "@/lib/prompts";

const params = z.object({ name: z.string(), label: z.string() });

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  PUT: apiRoute({ auth: "admin", params, body: moveLabelInput }, ({ params, body, principal, ip }) =>
    moveLabel(principal, params.name, params.label, body, ip),
  ),
  DELETE: apiRoute({ auth: "admin", params }, async ({ params, principal, ip }) => {
    await deleteLabel(principal, params.name, params.label, ip);
  }),
});
