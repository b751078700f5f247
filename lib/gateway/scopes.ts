import "server-only";
import type { Principal } from "@/lib/core";
import { wildcardMatch } from "@/lib/core";
import { AppError } from "@/lib/core";

/**
 * A key needs the `completions` scope (or a `model:<glob>` scope, which implies
 * it) to call the gateway. Checked before anything is looked up, so a key
 * without it cannot even learn which prompts or models exist.
 */
export function assertMayComplete(principal: Principal): void {
  if (principal.kind !== "apiKey") return;
  const scopes = principal.key.scopes;
  if (!scopes.includes("completions") && !scopes.some((s) => s.startsWith("model:"))) {
    throw new AppError("forbidden", "This API key lacks the 'completions' scope", { extra: { code: "insufficient_scope" } });
  }
}

/** Whether the caller may call `model` at all: its workspace's list and, for a key, its `model:` scopes. */
export function modelAllowed(principal: Principal, model: string): boolean {
  if (principal.kind === "system") return true;
  const workspace = principal.kind === "apiKey" ? principal.key.workspace : principal.user.workspace;
  const allowed = workspace?.allowedModels ?? [];
  if (allowed.length && !allowed.some((p) => wildcardMatch(p, model))) return false;
  if (principal.kind !== "apiKey") return true;
  const patterns = principal.key.scopes.filter((s) => s.startsWith("model:")).map((s) => s.slice(6));
  return !patterns.length || patterns.some((p) => wildcardMatch(p, model));
}

/**
 * The workspace's allowed models (globs; empty = every model) bound every caller
 * in it; a key's `model:` scopes narrow that further, never widen it: a model
 * must match both. Both lists travel with the principal, so this reads nothing.
 */
export function assertModelAllowed(principal: Principal, model: string): void {
  if (principal.kind === "system") return;
  const workspace = principal.kind === "apiKey" ? principal.key.workspace : principal.user.workspace;
  const allowed = workspace?.allowedModels ?? [];
  if (allowed.length && !allowed.some((p) => wildcardMatch(p, model))) {
    throw new AppError("forbidden", `This workspace may not use the model '${model}'`, { param: "model", extra: { code: "model_not_allowed" } });
  }
  if (principal.kind !== "apiKey") return;
  assertMayComplete(principal);
  const patterns = principal.key.scopes.filter((s) => s.startsWith("model:")).map((s) => s.slice(6));
  if (patterns.length && !patterns.some((p) => wildcardMatch(p, model))) {
    throw new AppError("forbidden", `This API key may not use the model '${model}'`, { param: "model", extra: { code: "model_not_allowed" } });
  }
}
