// GET /api/admin/prompts/:name/diff?from=&to=: word-level diff per message, plus config and variable changes.
import { workspaceOf } from "@/lib/auth";
import { apiRoute, methods, nameParams } from "@/lib/http";
import { diffVersions } from "@/lib/prompts";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin", params: nameParams }, ({ params, url, principal }) =>
    diffVersions(workspaceOf(principal), params.name, Object.fromEntries(url.searchParams)),
  ),
});
