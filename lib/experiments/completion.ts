import "server-only";
import { chat } from "@/lib/gateway";
import type { Principal } from "@/lib/core";
import { buildChatRequest, DEFAULT_LABEL, globalValues, renderPrompt, resolvePrompt, type CompletionRequest } from "@/lib/prompts";
import { assign } from "./assignment";
import { activeExperiment } from "./registry";
import { EXPERIMENT_HEADER, SUBJECT_HEADER, VARIANT_HEADER } from "./schemas";

// The /api/completion hook. A request that selects a label (not a version)
// with a running experiment is served by one of the experiment's variants:
// its prompt version, its model overrides, and the usage event records the
// experiment and variant (whose row names the phase). Everything else is
// untouched and returns null, so the caller falls through to promptCompletion.

/** The subject: the request's `user`, else the x-promptgate-subject header; null when neither is sent. */
export function subjectOf(body: Pick<CompletionRequest, "user">, headers: Headers): string | null {
  const fromBody = body.user?.trim();
  if (fromBody) return fromBody.slice(0, 256);
  const fromHeader = headers.get(SUBJECT_HEADER)?.trim();
  return fromHeader ? fromHeader.slice(0, 256) : null;
}

export async function experimentCompletion(principal: Principal, body: CompletionRequest, headers: Headers, signal: AbortSignal): Promise<Response | null> {
  if (body.version) return null;
  const label = body.label ?? DEFAULT_LABEL;
  const experiment = await activeExperiment(body.prompt, label);
  if (!experiment) return null;

  const subject = subjectOf(body, headers);
  const { index, sticky } = assign(experiment.id, experiment.phase.number, subject, experiment.variants.map((v) => v.weight));
  const variant = experiment.variants[index]!;

  const r = await resolvePrompt(body.prompt, { version: variant.promptVersion });
  const { messages } = renderPrompt(r.version, body.variables, await globalValues());
  // Precedence: the version's config, then the variant's overrides, then the request's own.
  const overrides = { ...variant.overrides, ...body.overrides };
  // The subject travels as the request's `user`, so the usage event's endUser is the
  // assignment unit (and a null endUser marks a non-sticky, per-request pick).
  const req = buildChatRequest(r.version.config, messages, { ...body, overrides, user: subject ?? undefined });
  const extras: Record<string, unknown> = {
    prompt: r.prompt.name,
    version: r.version.version,
    label,
    variant: variant.name,
    experiment: { id: experiment.id, name: experiment.name, phase: experiment.phase.number, variant: variant.name, sticky },
  };
  if (body.metadata) extras.metadata = body.metadata;
  return chat(principal, req, signal, {
    source: "completion",
    metadata: body.metadata,
    promptVersionId: r.version.id,
    experimentId: experiment.id,
    variantId: variant.id,
    bodyExtras: extras,
    headers: {
      "x-promptgate-prompt": r.prompt.name,
      "x-promptgate-prompt-version": String(r.version.version),
      [VARIANT_HEADER]: variant.name,
      [EXPERIMENT_HEADER]: experiment.id,
    },
  });
}
