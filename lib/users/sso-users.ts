import "server-only";
import { db } from "@/lib/db";
import { recordAudit } from "@/lib/audit";
import { DEFAULT_WORKSPACE_ID, type Principal, type Role, type SessionUser } from "@/lib/core";
import { applySsoMemberships, strongerRole } from "@/lib/workspaces";

/**
 * The password hash of a user created by single sign-on: not a bcrypt hash, so no
 * password ever matches it (authenticate checks the prefix and still pays a dummy
 * compare). An admin's password reset gives the user a real one.
 */
export const NO_PASSWORD_HASH = "!sso-only";

export type SsoIdentity = {
  email: string;
  name: string;
  /**
   * The instance role the claims map to, re-applied at every sign-in (admin: instance admin; the
   * role in the landing workspace); null when no role claim is configured: then no claim is applied.
   */
  mappedRole: Role | null;
  /** The role of a user created now when nothing is mapped. */
  defaultRole: Role;
  provider: string;
  /** Where a user created now lands (OIDC_DEFAULT_WORKSPACE); Default when unset. */
  landingWorkspaceId?: string;
  /** Workspace id → role from `value=role@workspace` grants (existing workspaces only); applied with `mappedRole`. */
  workspaceRoles?: ReadonlyMap<string, Role>;
};

export type SsoSignInResult =
  | { ok: true; user: SessionUser & { sessionVersion: number } }
  | { ok: false; reason: "disabled" };

const SSO: Principal = { kind: "system", name: "sso" };

/**
 * Finds or creates (just in time) the user an identity provider vouched for, applies the
 * mapped role and the workspace memberships the claims grant (lib/workspaces
 * applySsoMemberships), and audits each change, in one transaction. A change of an existing
 * user's role or memberships ends their older sessions (sessionVersion, as a password change
 * does), so a session issued under a group the user has left does not outlive the sign-in
 * that noticed; the session this sign-in issues carries the new version.
 */
export async function signInWithSso(identity: SsoIdentity, ip: string | null): Promise<SsoSignInResult> {
  try {
    return await signInOnce(identity, ip);
  } catch (err) {
    // Two first sign-ins at once (two tabs): the loser's insert clashes on the email; the second try finds the user.
    if ((err as { code?: string }).code !== "P2002") throw err;
    return signInOnce(identity, ip);
  }
}

async function signInOnce(identity: SsoIdentity, ip: string | null): Promise<SsoSignInResult> {
  const email = identity.email.trim().toLowerCase();
  const landing = identity.landingWorkspaceId ?? DEFAULT_WORKSPACE_ID;
  return db.$transaction(async (tx) => {
    let user = await tx.user.findUnique({ where: { email } });
    if (user?.disabled) {
      await recordAudit(SSO, { action: "auth.sso.refused", targetType: "user", targetId: user.id, after: { email, reason: "disabled", provider: identity.provider }, ip }, tx);
      return { ok: false, reason: "disabled" } as const;
    }
    const existed = user !== null;
    let accessChanged = false;
    if (!user) {
      const role = identity.mappedRole ?? identity.defaultRole;
      // Like a user created in the console: a member of the landing workspace with the role; an admin is an instance admin.
      user = await tx.user.create({
        data: {
          email, name: identity.name, role, passwordHash: NO_PASSWORD_HASH, instanceAdmin: role === "admin",
          memberships: { create: { workspaceId: landing, role, source: "sso" } },
        },
      });
      await recordAudit(SSO, { action: "user.sso.create", targetType: "user", targetId: user.id, after: { email, name: identity.name, role, workspaceId: landing, provider: identity.provider }, ip }, tx);
    } else if (identity.mappedRole !== null && identity.mappedRole !== user.role) {
      const before = user.role;
      const role = identity.mappedRole;
      user = await tx.user.update({ where: { id: user.id }, data: { role, instanceAdmin: role === "admin" } });
      await recordAudit(SSO, { action: "user.sso.role", targetType: "user", targetId: user.id, before: { role: before }, after: { role: user.role, sessionsEnded: true }, ip }, tx);
      accessChanged = true;
    }
    if (identity.mappedRole !== null) {
      // The landing workspace carries the mapped instance role, raised by a grant that names it too.
      const granted = new Map(identity.workspaceRoles ?? []);
      granted.set(landing, strongerRole(identity.mappedRole, granted.get(landing)));
      const changes = await applySsoMemberships(tx, SSO, user, granted, landing, { ip, sessionsEnded: existed });
      if (existed && changes > 0) accessChanged = true;
    }
    if (accessChanged) user = await tx.user.update({ where: { id: user.id }, data: { sessionVersion: { increment: 1 } } });
    const signedIn: SessionUser = { id: user.id, email: user.email, name: user.name, role: user.role as Role };
    await recordAudit({ kind: "user", user: signedIn }, { action: "auth.sso.sign_in", targetType: "user", targetId: user.id, after: { provider: identity.provider, role: user.role }, ip }, tx);
    return { ok: true, user: { ...signedIn, sessionVersion: user.sessionVersion } } as const;
  });
}

/** A refusal before any user is looked up (email missing or unverified, domain not allowed): audited, nothing written. */
export async function recordSsoRefusal(email: string | null, reason: string, provider: string, ip: string | null): Promise<void> {
  await recordAudit(SSO, { action: "auth.sso.refused", targetType: "user", targetId: null, after: { email, reason, provider }, ip });
}
