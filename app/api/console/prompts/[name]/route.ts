// GET /api/console/prompts/:name: the prompt, its labels and version history,
// for every signed-in user (the editor and history views refresh it).
import { workspaceOf } from "@/lib/auth";
import { apiRoute, methods, nameParams } from "@/lib/http";
import { getPrompt } from "@/lib/prompts";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "session", role: "viewer", params: nameParams }, ({ params, principal }) => getPrompt(workspaceOf(principal), params.name)),
});
