// GET /api/admin/prompts/:name: the prompt, its labels and version history.
// PATCH: description, tags, and (admins) which labels are protected.
import { apiRoute, methods } from "@/lib/http";
import { getPrompt, updatePrompt, updatePromptInput } from "@/lib/prompts";

type Params = { name: string };

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute<undefined, undefined, Params>({ auth: "admin" }, ({ params }) => getPrompt(params.name)),
  PATCH: apiRoute<typeof updatePromptInput, undefined, Params>({ auth: "admin", body: updatePromptInput }, ({ params, body, principal, ip }) =>
    updatePrompt(principal, params.name, body, ip),
  ),
});
