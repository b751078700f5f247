// The syntax of OIDC_ROLE_MAP and OIDC_ALLOWED_DOMAINS, shared by lib/config (refused at start when malformed) and the sign-in
// (lib/auth/sso.ts). Pure: no server-only code.
import { roles, type Role } from "@/lib/core/types";

/**
 * One OIDC_ROLE_MAP entry. `workspace: null` grants an instance role (admin: instance admin; otherwise the
 * role in OIDC_DEFAULT_WORKSPACE); `value=role@workspace-slug` grants a role in that one workspace.
 */
export type RoleGrant = { claimValue: string; role: Role; workspace: string | null };

/**
 * A workspace slug's syntax, as lib/workspaces' `workspaceSlug` checks it (kept here so lib/config
 * needs nothing server-side). Whether the workspace exists is known only at sign-in.
 */
export const WORKSPACE_SLUG = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;

/**
 * "promptgate-admins=admin,promptgate-editors=editor" → grants. The last "=" splits an entry, so a
 * value may itself contain "=" (an LDAP-style name); values are matched exactly (case-sensitive, as IdPs send them).
 * Throws an Error naming the first bad entry.
 */
export function parseRoleMap(raw: string | undefined): RoleGrant[] {
  const grants: RoleGrant[] = [];
  for (const entry of (raw ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
    const eq = entry.lastIndexOf("=");
    const claimValue = eq > 0 ? entry.slice(0, eq).trim() : "";
    const target = eq > 0 ? entry.slice(eq + 1).trim() : "";
    const [role = "", workspace, ...rest] = target.split("@");
    if (!claimValue || !(roles as readonly string[]).includes(role) || rest.length > 0 || (workspace !== undefined && !WORKSPACE_SLUG.test(workspace))) {
      throw new Error(`"${entry}" is not value=role (role: ${roles.join(", ")}; or value=role@workspace-slug, a slug of lowercase letters, digits and dashes)`);
    }
    grants.push({ claimValue, role: role as Role, workspace: workspace ?? null });
  }
  return grants;
}


/** A comma list, trimmed and lowercased, empties dropped: "Acme.com, example.org" → ["acme.com", "example.org"]. */
export function parseList(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}

/** The entries of OIDC_ALLOWED_DOMAINS that are not domain names ("@acme.com", "bob@acme.com"): they could never match. */
export function invalidDomains(raw: string | undefined): string[] {
  return parseList(raw).filter((d) => !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(d));
}
