import "server-only";
import { db } from "@/lib/db";
import { toAppError } from "@/lib/core";
import { composeContent } from "./compose";
import { diffContents } from "./diff";
import { checkTemplates, renderContent, resolveValues, undeclaredVariables } from "./engine";
import { globalValues } from "./resolve";
import { getVersion, listPrompts } from "./store";
import { diffQuery, promptContent, type IncludeTarget, type PlaygroundRun, type PreviewResult, type VersionDiff } from "./schemas";

// Read-only helpers behind the console editor: live preview, diffs (also of an
// unsaved draft) and the playground's recorded numbers.

/** Renders a draft with sample values: the editor's live preview and its warnings. */
export async function previewDraft(workspaceId: string, draft: unknown, values: Record<string, unknown>, name?: string | null): Promise<PreviewResult> {
  let used: string[] = [];
  let warnings: string[] = [];
  try {
    const content = promptContent.parse(draft);
    const globals = await globalValues(workspaceId);
    used = checkTemplates(content);
    warnings = undeclaredVariables(used, content.variables, Object.keys(globals)).map(
      (v) => `'${v}' is used but not declared (and is not a global variable)`,
    );
    // Includes are inlined as they resolve now; their variables count as declared.
    const { content: composed } = await composeContent(workspaceId, name ?? null, content);
    if (composed !== content) used = checkTemplates(composed);
    warnings = undeclaredVariables(used, composed.variables, Object.keys(globals)).map(
      (v) => `'${v}' is used but not declared (and is not a global variable)`,
    );
    const rendered = renderContent(composed, resolveValues(composed.variables, values, globals));
    return { ok: true, messages: rendered.messages, chars: rendered.chars, warnings, used, declared: composed.variables.map((v) => v.name) };
  } catch (e) {
    const err = toAppError(e);
    return { ok: false, error: { message: err.message, param: err.details.param ?? null }, warnings, used };
  }
}

export async function diffVersions(workspaceId: string, name: string, query: unknown): Promise<VersionDiff> {
  const { from, to } = diffQuery.parse(query);
  const [a, b] = await Promise.all([getVersion(workspaceId, name, from), getVersion(workspaceId, name, to)]);
  return diffContents(a, b, { from, to });
}

/** A saved version against an unsaved draft: what the user would change by saving. */
export async function diffDraft(workspaceId: string, name: string, against: number, draft: unknown): Promise<VersionDiff> {
  const a = await getVersion(workspaceId, name, against);
  return diffContents(a, promptContent.parse(draft), { from: against, to: "draft" });
}

/** The usage event a playground run recorded, once the batched writer has flushed it. */
export async function playgroundRun(workspaceId: string, completionId: string): Promise<PlaygroundRun | null> {
  const e = await db.usageEvent.findUnique({ where: { completionId } });
  if (!e || e.source !== "playground" || e.workspaceId !== workspaceId) return null;
  return {
    status: e.status, inputTokens: e.inputTokens, outputTokens: e.outputTokens, ttftMs: e.ttftMs, latencyMs: e.latencyMs,
    costUsd: Number(e.costUsd), priceKnown: e.priceKnown, servedModel: e.servedModel,
  };
}

/** What an include can name in the workspace: the editor's autocompletion after `{{>`. */
export async function includeTargets(workspaceId: string): Promise<IncludeTarget[]> {
  const list = await listPrompts(workspaceId);
  return list.map((p) => ({ name: p.name, labels: p.labels.map((l) => l.name), latestVersion: p.latestVersion }));
}
