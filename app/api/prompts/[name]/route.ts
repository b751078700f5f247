// GET /api/prompts/:name?label=|version=: the template, its declared variables
// and the global variables, for apps that render themselves. ETag / 304 aware.
import { apiRoute, methods, nameParams } from "@/lib/http";
import { templateResponse } from "@/lib/prompts";
import { workspaceOf } from "@/lib/auth";

export const { GET, POST, PUT, PATCH, DELETE } = methods(
  {
    GET: apiRoute({ auth: "apiKey", params: nameParams, envelope: "openai" }, ({ req, url, params, principal }) =>
      templateResponse(req, workspaceOf(principal), params.name, Object.fromEntries(url.searchParams)),
    ),
  },
  "openai",
);
