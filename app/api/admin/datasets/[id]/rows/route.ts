// GET /api/admin/datasets/:id/rows?version=: a version's rows (default the latest). POST: add rows by
// hand, `{rows, replace?}`, which makes a new version (201). Audited.
import { z } from "zod";
import { json } from "@/lib/core";
import { addDatasetRows, addRowsInput, getDatasetVersion } from "@/lib/evals";
import { apiRoute, idParams, methods } from "@/lib/http";

const params = idParams("a dataset id");
const query = z.object({ version: z.coerce.number().int().positive().optional() });

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin", params, query }, ({ params, query, principal }) => getDatasetVersion(principal, params.id, query.version)),
  POST: apiRoute({ auth: "admin", params, body: addRowsInput, maxBodyBytes: 6_000_000 }, async ({ params, body, principal, ip }) => json(await addDatasetRows(principal, params.id, body, ip), { status: 201 })),
});
