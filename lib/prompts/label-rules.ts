import "server-only";
import { db, type DbClient } from "@/lib/db";
import { isAdminPrincipal, workspaceOf, type Principal } from "@/lib/core";
import { AppError } from "@/lib/core";

// Who may change what a label serves. A protected label (the prompt's
// protectedLabels, ["production"] by default) is what live traffic reads, so
// only admins (admin users, admin-scoped keys, the system) may change what it
// serves, by any door: moving or deleting it, setting it at save time, and
// splitting its traffic with an experiment (lib/experiments asks through
// assertMayChangeWhatLabelServes rather than keeping a copy of this rule).
// The rule is read when the action runs: protecting a label later does not
// undo what already happened, it only refuses the next change.

/** The rule itself, for callers that already hold the prompt's protectedLabels. */
export function assertMayChangeLabel(actor: Principal, protectedLabels: readonly string[], label: string, doing: string): void {
  if (protectedLabels.includes(label) && !isAdminPrincipal(actor)) {
    throw new AppError("forbidden", `'${label}' is a protected label: only admins may ${doing}`, { param: "label" });
  }
}

/**
 * May `actor` change what `label` of this prompt serves? Throws `forbidden` (403, param `label`)
 * when not. `doing` finishes the refusal's sentence ("only admins may …"), which the console shows.
 * Pass the caller's transaction so the answer belongs to the same snapshot as the change.
 */
export async function assertMayChangeWhatLabelServes(
  actor: Principal,
  prompt: { id: string } | { name: string },
  label: string,
  doing: string,
  client: DbClient = db,
): Promise<void> {
  if (isAdminPrincipal(actor)) return;
  const where = "id" in prompt ? { id: prompt.id, workspaceId: workspaceOf(actor) } : { workspaceId: workspaceOf(actor), name: prompt.name };
  const row = await client.prompt.findFirst({ where, select: { name: true, protectedLabels: true } });
  if (!row) {
    const name = "name" in prompt ? prompt.name : prompt.id;
    throw new AppError("not_found", `Prompt '${name}' not found`, { param: "prompt", extra: { code: "prompt_not_found" } });
  }
  assertMayChangeLabel(actor, row.protectedLabels, label, doing);
}

// ---- label gates ----------------------------------------------------------------------------------
// Domains above prompts may refuse a label move by data prompts do not hold (lib/evals: "production
// needs a passing evaluation"). They register here; prompts never import them. A gate is asked inside
// the move's transaction, for moves by hand and for labels set at save time.

/** A label about to point at a version. `fromVersion`: what it serves now (null: a new label). */
export type LabelMove = { workspaceId: string; prompt: string; label: string; toVersion: number; fromVersion: number | null };
/** Answers why the move is refused, or null to allow it. */
export type LabelGate = (move: LabelMove, client: DbClient) => Promise<string | null>;

const gateState = globalThis as typeof globalThis & { __pgLabelGates?: Map<string, LabelGate> };
const gates = (gateState.__pgLabelGates ??= new Map());

export function registerLabelGate(name: string, gate: LabelGate): void {
  gates.set(name, gate);
}

/** Throws 409 (param `label`, code `label_gate`) with the gate's reason when one refuses the move. */
export async function assertLabelGates(move: LabelMove, client: DbClient = db): Promise<void> {
  for (const gate of gates.values()) {
    const why = await gate(move, client);
    if (why) throw new AppError("conflict", why, { param: "label", extra: { code: "label_gate" } });
  }
}
