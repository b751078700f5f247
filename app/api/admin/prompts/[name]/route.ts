// GET /api/admin/prompts/:name: the prompt, its labels and version history.
// PATCH: description, tags, and (admins) which labels are protected.
import { workspaceOf } from "@/lib/auth";
import { apiRoute, methods, nameParams } from "@/lib/http";
import { getPrompt, updatePrompt, updatePromptInput } from "@/lib/prompts";


export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin", params: nameParams }, ({ params, principal }) => getPrompt(workspaceOf(principal), params.name)),
  PATCH: apiRoute({ auth: "admin", params: nameParams, body: updatePromptInput }, ({ params, body, principal, ip }) =>
    updatePrompt(principal, params.name, body, ip),
  ),
});
