// GET /api/admin/datasets: the workspace's datasets, each with its latest version and row count.
// POST: create one (201), optionally with the rows of its first version. Audited.
import { json } from "@/lib/core";
import { createDataset, createDatasetInput, listDatasets } from "@/lib/evals";
import { apiRoute, methods } from "@/lib/http";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin" }, async ({ principal }) => ({ data: await listDatasets(principal) })),
  POST: apiRoute({ auth: "admin", body: createDatasetInput, maxBodyBytes: 6_000_000 }, async ({ body, principal, ip }) => json(await createDataset(principal, body, ip), { status: 201 })),
});
