import "server-only";
import type { Profile, User } from "next-auth";
import type { OIDCConfig } from "next-auth/providers";
import { config, type Config } from "@/lib/config";
import type { DbClient } from "@/lib/db";
import { logger } from "@/lib/observability";
import { recordSsoRefusal, signInWithSso } from "@/lib/users";
import type { Role } from "@/lib/core";
import { claimValues, emailDomainAllowed, mappedInstanceRole, parseList, parseRoleMap, workspaceGrants, type RoleGrant } from "./sso-claims";

/** Auth.js's provider id: the IdP's redirect URI is `<AUTH_URL>/api/auth/callback/oidc`. */
export const SSO_PROVIDER_ID = "oidc";

export type SsoSettings = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  displayName: string;
  scopes: string;
  allowedDomains: string[];
  defaultRole: Role;
  roleClaim: string | null;
  roleMap: RoleGrant[];
};

/** Single sign-on as configured, or null when OIDC_ISSUER is unset (lib/config refuses a half configuration). */
export function ssoSettings(c: Config = config()): SsoSettings | null {
  if (!c.OIDC_ISSUER || !c.OIDC_CLIENT_ID || !c.OIDC_CLIENT_SECRET) return null;
  return {
    issuer: c.OIDC_ISSUER,
    clientId: c.OIDC_CLIENT_ID,
    clientSecret: c.OIDC_CLIENT_SECRET,
    displayName: c.OIDC_DISPLAY_NAME,
    scopes: c.OIDC_SCOPES,
    allowedDomains: parseList(c.OIDC_ALLOWED_DOMAINS),
    defaultRole: c.OIDC_DEFAULT_ROLE,
    roleClaim: c.OIDC_ROLE_CLAIM ?? null,
    roleMap: parseRoleMap(c.OIDC_ROLE_MAP),
  };
}

/** What the sign-in page offers: the SSO button, and the password form unless PASSWORD_LOGIN=false. */
export function signInOptions(c: Config = config()): { sso: { displayName: string } | null; passwordLogin: boolean; breakGlass: boolean } {
  const sso = ssoSettings(c);
  return { sso: sso && { displayName: sso.displayName }, passwordLogin: c.PASSWORD_LOGIN, breakGlass: !c.PASSWORD_LOGIN && c.PASSWORD_LOGIN_BREAK_GLASS };
}

/** The Auth.js provider: discovery from the issuer, authorization code with PKCE, state and nonce; claims from the ID token. */
export function oidcProvider(s: SsoSettings): OIDCConfig<Profile> {
  return {
    id: SSO_PROVIDER_ID,
    name: s.displayName,
    type: "oidc",
    issuer: s.issuer,
    clientId: s.clientId,
    clientSecret: s.clientSecret,
    authorization: { params: { scope: s.scopes } },
    checks: ["pkce", "state", "nonce"],
    profile: (p) => ({ id: p.sub ?? undefined, email: p.email ?? null, name: p.name ?? p.preferred_username ?? p.email ?? null }),
  };
}

/**
 * WORKSPACES HOOK. OIDC_ROLE_MAP entries of the form `value=role@workspace-slug` grant a role in
 * one workspace; this is where the workspaces domain applies them (a membership upsert in the
 * sign-in's transaction, the same re-application and session cut-off as the instance role).
 * Until workspaces exist lib/config refuses such entries at start, so `grants` is always empty.
 */
async function applyWorkspaceRoleGrants(_tx: DbClient, _userId: string, grants: RoleGrant[]): Promise<void> {
  if (grants.length > 0) throw new Error("OIDC_ROLE_MAP grants a workspace role, but this build has no workspaces");
}

export type SsoRefusal = "sso_email" | "sso_domain" | "sso_disabled";

/**
 * Auth.js's signIn callback for the OIDC provider: true to sign in, or the sign-in page with an
 * error code to refuse (the page shows the message). On success `user` gets our user's id, role
 * and session version, which the jwt callback puts in the session.
 */
export async function completeSsoSignIn(user: User, profile: Profile | undefined, ip: string | null): Promise<true | string> {
  const s = ssoSettings();
  if (!s || !profile) return refuse("sso_email");
  const email = typeof profile.email === "string" ? profile.email.trim().toLowerCase() : "";
  // An IdP that says the address is unverified does not vouch for it: linking by email would let anyone claim any account.
  if (!email || profile.email_verified === false || (profile.email_verified as unknown) === "false") {
    await recordSsoRefusal(email || null, "email_unverified", SSO_PROVIDER_ID, ip);
    return refuse("sso_email");
  }
  if (!emailDomainAllowed(email, s.allowedDomains)) {
    await recordSsoRefusal(email, "domain", SSO_PROVIDER_ID, ip);
    return refuse("sso_domain");
  }
  const values = s.roleClaim ? claimValues(profile as Record<string, unknown>, s.roleClaim) : [];
  // The break-glass account keeps the role it has: a wrong mapping at the IdP must not demote the one way back in.
  const remap = s.roleClaim !== null && email !== config().ADMIN_EMAIL.trim().toLowerCase();
  const result = await signInWithSso(
    {
      email,
      name: (user.name ?? email).slice(0, 200),
      mappedRole: remap ? mappedInstanceRole(values, s.roleMap, s.defaultRole) : null,
      defaultRole: s.defaultRole,
      provider: SSO_PROVIDER_ID,
    },
    ip,
    (tx, userId) => applyWorkspaceRoleGrants(tx, userId, workspaceGrants(values, s.roleMap)),
  );
  if (!result.ok) return refuse("sso_disabled");
  Object.assign(user, { id: result.user.id, email: result.user.email, name: result.user.name, role: result.user.role, sessionVersion: result.user.sessionVersion });
  return true;
}

function refuse(code: SsoRefusal): string {
  logger.info({ code }, "single sign-on refused");
  return `/login?error=${code}`;
}
