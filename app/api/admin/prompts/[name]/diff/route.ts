// GET /api/admin/prompts/:name/diff?from=&to=: word-level diff per message, plus config and variable changes.
import { apiRoute, methods, nameParams } from "@/lib/http";
import { diffVersions } from "@/lib/prompts";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin", params: nameParams }, ({ params, url }) =>
    diffVersions(params.name, Object.fromEntries(url.searchParams)),
  ),
});
