// GET /api/admin/evaluations/compare?a=&b=: run B against run A on the same dataset version, row by row:
// wins, losses and ties, and a paired test per scorer (McNemar for pass/fail, paired t for scores), with
// the verdict in words.
import { z } from "zod";
import { compareEvalRuns } from "@/lib/evals";
import { apiRoute, methods } from "@/lib/http";

const query = z.object({ a: z.string().uuid("must be an evaluation run id"), b: z.string().uuid("must be an evaluation run id") });

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin", query }, ({ query, principal }) => compareEvalRuns(principal, query.a, query.b)),
});
