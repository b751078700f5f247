import "server-only";
import { DEFAULT_LABEL, type CompletionRequest } from "@/lib/prompts";
import { assign } from "./assignment";
import { activeExperiment } from "./registry";
import { SUBJECT_HEADER, type VariantOverrides } from "./schemas";

// Which variant serves a template completion. A request that selects a label
// (not a version) with a running experiment is served by one of its variants:
// its prompt version and its model overrides. Everything else gets null and is
// served by the label's own version. Assignment is sticky per subject.

export type VariantSelection = {
  experiment: { id: string; name: string; phase: number };
  variant: { id: string; name: string; promptVersion: number; overrides: VariantOverrides };
  /** The assignment unit, or null for a non-sticky, per-request pick. */
  subject: string | null;
  sticky: boolean;
};

/** The subject: the request's `user`, else the x-promptgate-subject header; null when neither is sent. */
export function subjectOf(body: Pick<CompletionRequest, "user">, headers: Headers): string | null {
  const fromBody = body.user?.trim();
  if (fromBody) return fromBody.slice(0, 256);
  const fromHeader = headers.get(SUBJECT_HEADER)?.trim();
  return fromHeader ? fromHeader.slice(0, 256) : null;
}

export async function selectVariant(
  workspaceId: string, body: Pick<CompletionRequest, "prompt" | "label" | "version" | "user">, headers: Headers,
): Promise<VariantSelection | null> {
  if (body.version) return null;
  const experiment = await activeExperiment(workspaceId, body.prompt, body.label ?? DEFAULT_LABEL);
  if (!experiment) return null;
  const subject = subjectOf(body, headers);
  const { index, sticky } = assign(experiment.id, experiment.phase.number, subject, experiment.variants.map((v) => v.weight));
  const v = experiment.variants[index]!;
  return {
    experiment: { id: experiment.id, name: experiment.name, phase: experiment.phase.number },
    variant: { id: v.id, name: v.name, promptVersion: v.promptVersion, overrides: v.overrides },
    subject,
    sticky,
  };
}
