// GET /api/console/playground/runs/:completionId: a playground run's recorded
// numbers (tokens, latency, cost) once its usage event is written, else null.
// For editors, who run the playground.
import { z } from "zod";
import { apiRoute, methods } from "@/lib/http";
import { playgroundRun } from "@/lib/prompts";
import { workspaceOf } from "@/lib/auth";

const params = z.object({ completionId: z.string().regex(/^chatcmpl-[\w-]+$/, "must be a playground completion id") });

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "session", role: "editor", params }, ({ params, principal }) => playgroundRun(workspaceOf(principal), params.completionId)),
});
