// POST /api/admin/datasets/:id/upload: `{format: "csv"|"jsonl", content, replace?}` makes a new version
// (201). Every row is checked: one bad row and nothing is saved, and the 400's `issues` name each bad
// row by its line. Audited.
import { json } from "@/lib/core";
import { uploadDatasetRows, uploadInput } from "@/lib/evals";
import { apiRoute, idParams, methods } from "@/lib/http";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  POST: apiRoute({ auth: "admin", params: idParams("a dataset id"), body: uploadInput, maxBodyBytes: 6_000_000 }, async ({ params, body, principal, ip }) =>
    json(await uploadDatasetRows(principal, params.id, body, ip), { status: 201 }),
  ),
});
