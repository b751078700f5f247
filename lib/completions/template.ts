import "server-only";
import { workspaceOf, type Principal } from "@/lib/core";
import { selectVariant, EXPERIMENT_HEADER, VARIANT_HEADER } from "@/lib/experiments";
import { assertMayComplete, chat, type CallOptions } from "@/lib/gateway";
import { buildChatRequest, composeResolved, globalValues, renderPrompt, resolvePrompt, DEFAULT_LABEL, type CompletionRequest } from "@/lib/prompts";
import type { ChatCompletionRequest } from "@/lib/providers";

// The one template-completion use case: (prompt, label or version, variables,
// experiment) → a gateway call. Experiments choose a variant, prompts resolve
// and render, the gateway completes; none of them calls another here.

export type TemplateCall = { request: ChatCompletionRequest; options: CallOptions };

/**
 * The canonical request and call options for a stored prompt: the labelled (or
 * numbered) version, unless a running experiment on the label serves one of
 * its variants. Precedence of model settings: the version's config, then the
 * variant's overrides, then the request's own.
 */
export async function templateCall(workspaceId: string, body: CompletionRequest, headers: Headers): Promise<TemplateCall> {
  const selection = await selectVariant(workspaceId, body, headers);
  const label = body.label ?? (body.version ? null : DEFAULT_LABEL);
  const r = await resolvePrompt(workspaceId, body.prompt, selection ? { version: selection.variant.promptVersion } : { label: body.label, version: body.version });
  const composed = await composeResolved(workspaceId, r);
  const { messages } = renderPrompt(composed.content, body.variables, await globalValues(workspaceId));
  // With an experiment the subject travels as the request's `user`, so the usage event's endUser is the
  // assignment unit (and a null endUser marks a non-sticky, per-request pick).
  const request = selection
    ? buildChatRequest(r.version.config, messages, { ...body, overrides: { ...selection.variant.overrides, ...body.overrides }, user: selection.subject ?? undefined })
    : buildChatRequest(r.version.config, messages, body);
  const bodyExtras: Record<string, unknown> = { prompt: r.prompt.name, version: r.version.version, label: selection ? label : r.label };
  const responseHeaders: Record<string, string> = { "x-promptgate-prompt": r.prompt.name, "x-promptgate-prompt-version": String(r.version.version) };
  if (selection) {
    const { experiment, variant, sticky } = selection;
    bodyExtras.variant = variant.name;
    bodyExtras.experiment = { id: experiment.id, name: experiment.name, phase: experiment.phase, variant: variant.name, sticky };
    responseHeaders[VARIANT_HEADER] = variant.name;
    responseHeaders[EXPERIMENT_HEADER] = experiment.id;
  }
  // The exact versions the includes resolved to (lib/prompts/compose.ts), beside the parent's own.
  if (composed.includes.length) bodyExtras.includes = composed.includes;
  if (body.metadata) bodyExtras.metadata = body.metadata;
  return {
    request,
    options: {
      source: "completion",
      surface: "completion",
      metadata: body.metadata,
      promptVersionId: r.version.id,
      promptIncludes: composed.includes.length ? composed.includes : null,
      experimentId: selection?.experiment.id ?? null,
      variantId: selection?.variant.id ?? null,
      bodyExtras,
      headers: responseHeaders,
    },
  };
}

/** POST /api/completion: a stored prompt rendered and completed, in OpenAI's chat shape plus prompt, version and label. */
export async function templateCompletion(principal: Principal, body: CompletionRequest, headers: Headers, signal: AbortSignal): Promise<Response> {
  assertMayComplete(principal);
  const { request, options } = await templateCall(workspaceOf(principal), body, headers);
  return chat(principal, request, signal, options);
}
