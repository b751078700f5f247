import "server-only";
import { createHash } from "node:crypto";
import { composeResolved } from "./compose";
import { globalValues, resolvePrompt } from "./resolve";
import { promptSelector } from "./schemas";

// GET /api/prompts/:name: the template itself, for apps that render on their
// own side. Conditional requests are cheap: resolution is cached, and the ETag
// is a hash of the body, so it changes exactly when the answer does (a label
// move, a new version behind `latest`, a changed global variable).

/** Resolved within the key's workspace: the same name elsewhere is another prompt. */
export async function templateResponse(req: Request, workspaceId: string, name: string, query: unknown): Promise<Response> {
  const sel = promptSelector.parse(query);
  const [r, globals] = await Promise.all([resolvePrompt(workspaceId, name, sel), globalValues(workspaceId)]);
  // Includes come inlined (with the versions they resolved to), so the app renders plain Handlebars,
  // and the ETag changes when an included prompt's label moves.
  const { content: v, includes } = await composeResolved(workspaceId, r);
  const body = {
    name: r.prompt.name,
    version: v.version,
    label: r.label,
    type: v.type,
    ...(v.type === "chat" ? { messages: v.messages } : { text: v.text }),
    variables: v.variables,
    config: v.config,
    ...(includes.length ? { includes } : {}),
    globals,
    commit_message: v.commitMessage,
    created_at: v.createdAt,
  };
  const text = JSON.stringify(body);
  const etag = `"${createHash("sha256").update(text).digest("base64url").slice(0, 32)}"`;
  const headers = { etag, "cache-control": "private, no-cache", "content-type": "application/json" };
  const inm = req.headers.get("if-none-match");
  if (inm && inm.split(",").some((t) => t.trim().replace(/^W\//, "") === etag || t.trim() === "*")) {
    return new Response(null, { status: 304, headers: { etag, "cache-control": headers["cache-control"] } });
  }
  return new Response(text, { headers });
}
