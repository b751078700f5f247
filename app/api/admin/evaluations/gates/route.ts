// GET /api/admin/evaluations/gates: the workspace's evaluation gates on prompt labels. PUT: set one,
// `{prompt, label, datasetId, scorer, minScore?, noRegression?}`; moving that label then needs a
// completed run of the target version on the dataset that passes (409 with the reason otherwise). Audited.
import { listGates, setGate, setGateInput } from "@/lib/evals";
import { apiRoute, methods } from "@/lib/http";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin" }, async ({ principal }) => ({ data: await listGates(principal) })),
  PUT: apiRoute({ auth: "admin", body: setGateInput }, ({ body, principal, ip }) => setGate(principal, body, ip)),
});
