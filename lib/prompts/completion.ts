import "server-only";
import { ZodError } from "zod";
import { chatCompletionRequest } from "@/lib/gateway/schemas";
import type { Principal } from "@/lib/core";
import { AppError, toAppError } from "@/lib/core";
import type { ChatCompletionRequest } from "@/lib/providers";
import { checkTemplates, renderPrompt } from "./engine";
import { globalValues, resolvePrompt, type ResolvedPrompt } from "./resolve";
import { promptContent, type CompletionRequest, type ModelConfig, type PromptContent, type PlaygroundRequest, playgroundRequest } from "./schemas";

// Template-based completions: resolve the version, render it, merge the model
// config with the request's overrides, and hand an ordinary OpenAI chat request
// to the gateway pipeline (lib/gateway), which routes, streams and records usage.

type Overrides = CompletionRequest["overrides"];

// Loaded on first use: the gateway pulls in the HTTP layer and Auth.js, which
// scripts that only need prompts (the seed, the admin CLI) cannot load.
const gateway = () => import("@/lib/gateway");

/** The chat request for rendered messages: config, then overrides, then the call's own fields. */
export function buildChatRequest(
  config: ModelConfig,
  messages: { role: string; content: string }[],
  call: { overrides?: Overrides; stream?: boolean; stream_options?: CompletionRequest["stream_options"]; user?: string },
): ChatCompletionRequest {
  const { extra, model, ...known } = config;
  const req: Record<string, unknown> = { ...extra };
  for (const [k, v] of Object.entries(known)) if (v !== undefined) req[k] = v;
  const chosenModel = call.overrides?.model || model;
  if (!chosenModel) {
    throw new AppError("validation_error", "This prompt version has no model in its config; send one in overrides.model", { param: "overrides.model" });
  }
  Object.assign(req, call.overrides ?? {});
  req.model = chosenModel;
  req.messages = messages;
  if (call.stream) req.stream = true;
  if (call.stream_options) req.stream_options = call.stream_options;
  if (call.user) req.user = call.user;
  try {
    return chatCompletionRequest.parse(req) as ChatCompletionRequest;
  } catch (e) {
    // Only a config's `extra` fields or loose overrides can get here: name them as sent.
    if (e instanceof ZodError) {
      const err = toAppError(e);
      const field = err.details.param;
      throw new AppError("validation_error", err.message, { param: field ? `overrides.${field}` : "overrides" });
    }
    throw e;
  }
}

/** POST /api/completion: the labelled (or named) version, rendered and completed. */
export async function promptCompletion(principal: Principal, body: CompletionRequest, signal: AbortSignal, resolved?: ResolvedPrompt): Promise<Response> {
  const r = resolved ?? (await resolvePrompt(body.prompt, { label: body.label, version: body.version }));
  const { messages } = renderPrompt(r.version, body.variables, await globalValues());
  const req = buildChatRequest(r.version.config, messages, body);
  const extras: Record<string, unknown> = { prompt: r.prompt.name, version: r.version.version, label: r.label };
  if (body.metadata) extras.metadata = body.metadata;
  return (await gateway()).chat(principal, req, signal, {
    source: "completion",
    metadata: body.metadata,
    promptVersionId: r.version.id,
    bodyExtras: extras,
    headers: { "x-promptgate-prompt": r.prompt.name, "x-promptgate-prompt-version": String(r.version.version) },
  });
}

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
    const r = await resolvePrompt(body.prompt, { version: body.version });
    content = r.version;
    versionId = r.version.id;
    extras = { prompt: r.prompt.name, version: r.version.version };
  }
  const { messages } = renderPrompt(content, body.variables, await globalValues());
  const req = buildChatRequest(content.config, messages, {
    overrides: { ...body.overrides, model: body.model },
    stream: true,
    stream_options: { include_usage: true },
  });
  return (await gateway()).chat(principal, req, signal, { source: "playground", accountId: body.accountId, promptVersionId: versionId, bodyExtras: extras });
}
