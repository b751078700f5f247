// PUT /api/admin/prompts/:name/labels/:label {version}: point a label at a version
// (promotion and rollback; protected labels need an admin). DELETE: remove a label.
import { apiRoute, methods } from "@/lib/http";
import { deleteLabel, moveLabel, moveLabelInput } from "@/lib/prompts";

type Params = { name: string; label: string };

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  PUT: apiRoute<typeof moveLabelInput, undefined, Params>({ auth: "admin", body: moveLabelInput }, ({ params, body, principal, ip }) =>
    moveLabel(principal, params.name, params.label, body, ip),
  ),
  DELETE: apiRoute<undefined, undefined, Params>({ auth: "admin" }, async ({ params, principal, ip }) => {
    await deleteLabel(principal, params.name, params.label, ip);
  }),
});
