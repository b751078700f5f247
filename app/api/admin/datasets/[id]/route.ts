// GET /api/admin/datasets/:id: one dataset and its versions. PATCH: rename or describe it. DELETE: remove
// it, its versions and the runs on them (204). Audited; another workspace's id answers 404.
import { deleteDataset, getDataset, updateDataset, updateDatasetInput } from "@/lib/evals";
import { apiRoute, idParams, methods } from "@/lib/http";

const params = idParams("a dataset id");

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin", params }, ({ params, principal }) => getDataset(principal, params.id)),
  PATCH: apiRoute({ auth: "admin", params, body: updateDatasetInput }, ({ params, body, principal, ip }) => updateDataset(principal, params.id, body, ip)),
  DELETE: apiRoute({ auth: "admin", params }, async ({ params, principal, ip }) => {
    await deleteDataset(principal, params.id, ip);
  }),
});
