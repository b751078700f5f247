import "server-only";
import { db, type DbClient } from "@/lib/db";
import { recordAudit } from "@/lib/audit";
import type { Principal, Role, SessionUser } from "@/lib/core";

/**
 * The password hash of a user created by single sign-on: not a bcrypt hash, so no
 * password ever matches it (authenticate checks the prefix and still pays a dummy
 * compare). An admin's password reset gives the user a real one.
 */
export const NO_PASSWORD_HASH = "!sso-only";

export type SsoIdentity = {
  email: string;
  name: string;
  /** The role the claims map to, re-applied at every sign-in; null when no role claim is configured. */
  mappedRole: Role | null;
  /** The role of a user created now when nothing is mapped. */
  defaultRole: Role;
  provider: string;
};

export type SsoSignInResult =
  | { ok: true; user: SessionUser & { sessionVersion: number } }
  | { ok: false; reason: "disabled" };

const SSO: Principal = { kind: "system", name: "sso" };

/**
 * Finds or creates (just in time) the user an identity provider vouched for, applies the
 * mapped role, and audits it, in one transaction. A role change ends the user's older
 * sessions (sessionVersion, as a password change does), so a session issued under a
 * group the user has left does not outlive the sign-in that noticed. `inTransaction`
 * runs inside the same transaction (the workspace grants hook).
 */
export async function signInWithSso(
  identity: SsoIdentity,
  ip: string | null,
  inTransaction?: (tx: DbClient, userId: string) => Promise<void>,
): Promise<SsoSignInResult> {
  try {
    return await signInOnce(identity, ip, inTransaction);
  } catch (err) {
    // Two first sign-ins at once (two tabs): the loser's insert clashes on the email; the second try finds the user.
    if ((err as { code?: string }).code !== "P2002") throw err;
    return signInOnce(identity, ip, inTransaction);
  }
}

async function signInOnce(identity: SsoIdentity, ip: string | null, inTransaction?: (tx: DbClient, userId: string) => Promise<void>): Promise<SsoSignInResult> {
  const email = identity.email.trim().toLowerCase();
  return db.$transaction(async (tx) => {
    let user = await tx.user.findUnique({ where: { email } });
    if (user?.disabled) {
      await recordAudit(SSO, { action: "auth.sso.refused", targetType: "user", targetId: user.id, after: { email, reason: "disabled", provider: identity.provider }, ip }, tx);
      return { ok: false, reason: "disabled" } as const;
    }
    if (!user) {
      const role = identity.mappedRole ?? identity.defaultRole;
      user = await tx.user.create({ data: { email, name: identity.name, role, passwordHash: NO_PASSWORD_HASH } });
      await recordAudit(SSO, { action: "user.sso.create", targetType: "user", targetId: user.id, after: { email, name: identity.name, role, provider: identity.provider }, ip }, tx);
    } else if (identity.mappedRole !== null && identity.mappedRole !== user.role) {
      const before = user.role;
      user = await tx.user.update({ where: { id: user.id }, data: { role: identity.mappedRole, sessionVersion: { increment: 1 } } });
      await recordAudit(SSO, { action: "user.sso.role", targetType: "user", targetId: user.id, before: { role: before }, after: { role: user.role, sessionsEnded: true }, ip }, tx);
    }
    await inTransaction?.(tx, user.id);
    const signedIn: SessionUser = { id: user.id, email: user.email, name: user.name, role: user.role as Role };
    await recordAudit({ kind: "user", user: signedIn }, { action: "auth.sso.sign_in", targetType: "user", targetId: user.id, after: { provider: identity.provider, role: user.role }, ip }, tx);
    return { ok: true, user: { ...signedIn, sessionVersion: user.sessionVersion } } as const;
  });
}

/** A refusal before any user is looked up (email missing or unverified, domain not allowed): audited, nothing written. */
export async function recordSsoRefusal(email: string | null, reason: string, provider: string, ip: string | null): Promise<void> {
  await recordAudit(SSO, { action: "auth.sso.refused", targetType: "user", targetId: null, after: { email, reason, provider }, ip });
}
