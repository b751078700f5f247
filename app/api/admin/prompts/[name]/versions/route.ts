// GET /api/admin/prompts/:name/versions: the history, newest first.
// POST: save a new immutable version (201); with `baseVersion`, 409 if someone saved meanwhile.
import { workspaceOf } from "@/lib/auth";
import { apiRoute, methods, nameParams } from "@/lib/http";
import { json } from "@/lib/core";
import { createPromptVersion, createPromptVersionInput, getPrompt } from "@/lib/prompts";


export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin", params: nameParams }, async ({ params, principal }) => ({ data: (await getPrompt(workspaceOf(principal), params.name)).versions })),
  POST: apiRoute({ auth: "admin", params: nameParams, body: createPromptVersionInput }, async ({ params, body, principal, ip }) =>
    json(await createPromptVersion(principal, params.name, body, ip), { status: 201 }),
  ),
});
