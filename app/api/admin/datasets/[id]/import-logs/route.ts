// POST /api/admin/datasets/:id/import-logs: `{apiKeyId, since?, until?, limit?, status?, replace?}` makes a
// new version (201) from the key's request logs, newest first; unreadable logs are skipped and listed.
// The key must be the workspace's own (404 otherwise); no logs in the range is a 400. Audited.
import { json } from "@/lib/core";
import { importLogsInput, importRowsFromLogs } from "@/lib/evals";
import { apiRoute, idParams, methods } from "@/lib/http";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  POST: apiRoute({ auth: "admin", params: idParams("a dataset id"), body: importLogsInput }, async ({ params, body, principal, ip }) =>
    json(await importRowsFromLogs(principal, params.id, body, ip), { status: 201 }),
  ),
});
