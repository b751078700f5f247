// GET /api/admin/prompts?q=&tag=: list prompts. POST: create a prompt with its first version (201).
import { workspaceOf } from "@/lib/auth";
import { apiRoute, methods } from "@/lib/http";
import { json } from "@/lib/core";
import { createPrompt, createPromptInput, listPrompts, listPromptsQuery } from "@/lib/prompts";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "admin", query: listPromptsQuery }, async ({ query, principal }) => ({ data: await listPrompts(workspaceOf(principal), query) })),
  POST: apiRoute({ auth: "admin", body: createPromptInput }, async ({ body, principal, ip }) =>
    json(await createPrompt(principal, body, ip), { status: 201 }),
  ),
});
