// GET /api/console/prompts/:name/versions/:version: one version in full, for
// every signed-in user (the editor loads it when a save lost the race).
import { z } from "zod";
import { workspaceOf } from "@/lib/auth";
import { apiRoute, methods } from "@/lib/http";
import { getVersion } from "@/lib/prompts";

const params = z.object({ name: z.string(), version: z.coerce.number({ message: "must be a version number" }).int().positive() });

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "session", role: "viewer", params }, ({ params, principal }) => getVersion(workspaceOf(principal), params.name, params.version)),
});
