// GET /api/admin/prompts/:name/versions/:version: one version in full.
import { z } from "zod";
import { workspaceOf } from "@/lib/auth";
import { apiRoute, methods } from "@/lib/http";
import { getVersion } from "@/lib/prompts";

const params = z.object({ name: z.string(), version: z.coerce.number({ message: "must be a version number" }).int().positive() });

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin", params }, ({ params: { name, version }, principal }) => {
    return getVersion(workspaceOf(principal), name, version);
  }),
});
