// GET /api/console/prompts/:name/diff?from=&to=: two saved versions compared.
// POST { against, draft }: an unsaved draft compared with a saved version; a
// read (the draft is too big for a query string), it changes nothing.
// Both for every signed-in user.
import { z } from "zod";
import { workspaceOf } from "@/lib/auth";
import { apiRoute, methods, nameParams } from "@/lib/http";
import { diffDraft, diffQuery, diffVersions, promptContent } from "@/lib/prompts";

const draftDiff = z.object({ against: z.number({ message: "must be a version number" }).int().positive(), draft: promptContent });

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "session", role: "viewer", params: nameParams, query: diffQuery }, ({ params, query, principal }) => diffVersions(workspaceOf(principal), params.name, query)),
  POST: apiRoute({ auth: "session", role: "viewer", params: nameParams, body: draftDiff }, ({ params, body, principal }) =>
    diffDraft(workspaceOf(principal), params.name, body.against, body.draft),
  ),
});
