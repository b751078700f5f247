// GET /api/console/prompt-refs: the workspace's prompt names and labels, for the
// editor's autocompletion after `{{>` (an include); a read for every signed-in user.
import { workspaceOf } from "@/lib/auth";
import { apiRoute, methods } from "@/lib/http";
import { includeTargets } from "@/lib/prompts";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "session", role: "viewer" }, ({ principal }) => includeTargets(workspaceOf(principal))),
});
