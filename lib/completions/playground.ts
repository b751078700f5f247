import "server-only";
import { AppError, workspaceOf, type Principal } from "@/lib/core";
import { chat } from "@/lib/gateway";
import { buildChatRequest, checkTemplates, composeContent, globalValues, playgroundRequest, promptContent, renderPrompt, resolvePrompt, type PlaygroundRequest, type PromptContent } from "@/lib/prompts";

/**
 * The console playground: the unsaved draft or a saved version, streamed from
 * one chosen account and model, recorded as usage with source=playground.
 */
export async function playgroundCompletion(principal: Principal, input: PlaygroundRequest, signal: AbortSignal): Promise<Response> {
  const body = playgroundRequest.parse(input);
  let content: PromptContent;
  let versionId: string | null = null;
  let extras: Record<string, unknown> = { prompt: body.prompt ?? null, version: "draft" };
  if (body.draft !== undefined) {
    content = promptContent.parse(body.draft);
    checkTemplates(content);
  } else {
    if (!body.prompt || !body.version) throw new AppError("validation_error", "Send a draft, or a prompt and a version", { param: "draft" });
    const r = await resolvePrompt(workspaceOf(principal), body.prompt, { version: body.version });
    content = r.version;
    versionId = r.version.id;
    extras = { prompt: r.prompt.name, version: r.version.version };
  }
  const composed = await composeContent(workspaceOf(principal), body.prompt ?? null, content);
  if (composed.includes.length) extras.includes = composed.includes;
  const { messages } = renderPrompt(composed.content, body.variables, await globalValues(workspaceOf(principal)));
  const req = buildChatRequest(content.config, messages, {
    overrides: { ...body.overrides, model: body.model },
    stream: true,
    stream_options: { include_usage: true },
  });
  return chat(principal, req, signal, { source: "playground", accountId: body.accountId, promptVersionId: versionId, promptIncludes: composed.includes.length ? composed.includes : null, bodyExtras: extras });
}
