import "server-only";
import { db, type DbClient } from "@/lib/db";
import { recordAudit } from "@/lib/audit";
import { hasRole, type Principal, type Role } from "@/lib/core";

// Memberships an identity provider grants (OIDC_ROLE_MAP, lib/auth/sso.ts), applied in the
// sign-in's transaction. The IdP owns only what it granted (source "sso"): a membership an admin
// added or changed by hand (source "manual") is theirs, and no sign-in changes or removes it.
// The landing workspace (OIDC_DEFAULT_WORKSPACE, else Default) is the exception on both sides:
// its role follows the instance-role mapping whatever its source (as before workspaces, when that
// role was the user's only one), and it is never removed, so a user always keeps a workspace.

/** Workspace slug → id, for the slugs that exist (one query). */
export async function workspaceIdsBySlug(slugs: readonly string[]): Promise<Map<string, string>> {
  if (slugs.length === 0) return new Map();
  const rows = await db.workspace.findMany({ where: { slug: { in: [...new Set(slugs)] } }, select: { id: true, slug: true } });
  return new Map(rows.map((w) => [w.slug, w.id]));
}

/** The strongest of two roles. */
export function strongerRole(a: Role, b: Role | undefined): Role {
  return b !== undefined && hasRole(b, a) ? b : a;
}

/**
 * Brings the user's SSO memberships to `granted` (workspace id → role): adds what is missing,
 * re-roles what differs, removes the "sso" ones no longer granted. Each change is audited as an
 * instance-level entry, like the console's member changes. Returns the number of changes; the
 * caller ends the user's older sessions when an existing user's access changed.
 */
export async function applySsoMemberships(
  tx: DbClient,
  actor: Principal,
  user: { id: string; email: string },
  granted: ReadonlyMap<string, Role>,
  landing: string,
  { ip, sessionsEnded }: { ip: string | null; sessionsEnded: boolean },
): Promise<number> {
  const held = new Map((await tx.membership.findMany({ where: { userId: user.id } })).map((m) => [m.workspaceId, m]));
  const ended = sessionsEnded ? { sessionsEnded: true } : {};
  let changes = 0;
  for (const [workspaceId, role] of granted) {
    const m = held.get(workspaceId);
    if (m && (m.role === role || (m.source === "manual" && workspaceId !== landing))) continue;
    const key = { userId_workspaceId: { userId: user.id, workspaceId } };
    const after = await tx.membership.upsert({ where: key, create: { userId: user.id, workspaceId, role, source: "sso" }, update: { role } });
    await recordAudit(actor, {
      action: "workspace.member.sso.set", targetType: "workspace", targetId: workspaceId, ip,
      before: m ? { email: user.email, role: m.role, source: m.source } : null,
      after: { email: user.email, role: after.role, source: after.source, ...ended },
    }, tx);
    changes++;
  }
  for (const m of held.values()) {
    if (m.source !== "sso" || granted.has(m.workspaceId) || m.workspaceId === landing) continue;
    // Only while still SSO's: a concurrent sign-in may have removed it, or an admin made it theirs meanwhile.
    const { count } = await tx.membership.deleteMany({ where: { userId: user.id, workspaceId: m.workspaceId, source: "sso" } });
    if (count === 0) continue;
    await recordAudit(actor, {
      action: "workspace.member.sso.remove", targetType: "workspace", targetId: m.workspaceId, ip,
      before: { email: user.email, role: m.role, source: m.source },
      after: { email: user.email, ...ended },
    }, tx);
    changes++;
  }
  return changes;
}
