import "server-only";
import type { Profile, User } from "next-auth";
import type { OIDCConfig } from "next-auth/providers";
import { config, type Config } from "@/lib/config";
import { logger } from "@/lib/observability";
import { recordSsoRefusal, signInWithSso } from "@/lib/users";
import { workspaceIdsBySlug } from "@/lib/workspaces";
import { DEFAULT_WORKSPACE_ID, type Role } from "@/lib/core";
import { claimValues, emailDomainAllowed, mappedInstanceRole, parseList, parseRoleMap, workspaceRoles, type RoleGrant } from "./sso-claims";

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
  /** The slug of the workspace new users join; null: Default. */
  defaultWorkspace: string | null;
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
    defaultWorkspace: c.OIDC_DEFAULT_WORKSPACE ?? null,
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
 * Where a new user lands, and the workspace roles the claim values grant, by workspace id. A slug
 * no workspace has (OIDC_ROLE_MAP's `@slug`, OIDC_DEFAULT_WORKSPACE) is a configuration mistake the
 * IdP's users should not pay for: it is logged (the slug only) and skipped, and the sign-in goes on.
 */
async function resolveWorkspaces(s: SsoSettings, values: readonly string[]): Promise<{ landing: string; roles: Map<string, Role> }> {
  const bySlug = workspaceRoles(values, s.roleMap);
  const ids = await workspaceIdsBySlug([...bySlug.keys(), ...(s.defaultWorkspace ? [s.defaultWorkspace] : [])]);
  let landing = DEFAULT_WORKSPACE_ID;
  if (s.defaultWorkspace) {
    const id = ids.get(s.defaultWorkspace);
    if (id) landing = id;
    else logger.warn({ slug: s.defaultWorkspace }, "OIDC_DEFAULT_WORKSPACE: no workspace has this slug; single sign-on uses Default");
  }
  const roles = new Map<string, Role>();
  for (const [slug, role] of bySlug) {
    const id = ids.get(slug);
    if (id) roles.set(id, role);
    else logger.warn({ slug }, "OIDC_ROLE_MAP: no workspace has this slug; its grant is skipped");
  }
  return { landing, roles };
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
  const { landing, roles } = await resolveWorkspaces(s, remap ? values : []);
  const result = await signInWithSso(
    {
      email,
      name: (user.name ?? email).slice(0, 200),
      mappedRole: remap ? mappedInstanceRole(values, s.roleMap, s.defaultRole) : null,
      defaultRole: s.defaultRole,
      provider: SSO_PROVIDER_ID,
      landingWorkspaceId: landing,
      workspaceRoles: roles,
    },
    ip,
  );
  if (!result.ok) return refuse("sso_disabled");
  Object.assign(user, { id: result.user.id, email: result.user.email, name: result.user.name, role: result.user.role, sessionVersion: result.user.sessionVersion });
  return true;
}

function refuse(code: SsoRefusal): string {
  logger.info({ code }, "single sign-on refused");
  return `/login?error=${code}`;
}
