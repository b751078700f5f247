// GET /api/admin/evaluations?datasetId=: the workspace's evaluation runs, newest first. POST: start one
// (202): a prompt version (or the draft), a dataset version, an account and model, and scorers; it runs
// in the background through the gateway (usage source=evaluation). Audited.
import { z } from "zod";
import { json } from "@/lib/core";
import { listRuns, startRun, startRunInput } from "@/lib/evals";
import { apiRoute, methods } from "@/lib/http";

const query = z.object({ datasetId: z.string().uuid().optional() });

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin", query }, async ({ query, principal }) => ({ data: await listRuns(principal, query) })),
  POST: apiRoute({ auth: "admin", body: startRunInput }, async ({ body, principal, ip }) => json(await startRun(principal, body, ip), { status: 202 })),
});
