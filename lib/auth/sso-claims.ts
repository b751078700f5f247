// Pure rules of single sign-on: which email domains may sign in, and what role
// an identity provider's claims grant. No I/O, so lib/config validates the
// environment with the same parser the sign-in uses.
import { hasRole, type Role } from "@/lib/core/types";
import type { RoleGrant } from "./schemas";
export { parseRoleMap, parseList, WORKSPACE_SLUG, type RoleGrant } from "./schemas";

/** True when any domain is allowed (empty list) or the email's domain is one of them, exactly (no subdomains). */
export function emailDomainAllowed(email: string, allowedDomains: readonly string[]): boolean {
  if (allowedDomains.length === 0) return true;
  const at = email.lastIndexOf("@");
  return at > 0 && allowedDomains.includes(email.slice(at + 1).toLowerCase());
}

/**
 * The claim's values as strings: a string, an array of strings, or a dotted path into nested objects
 * (Keycloak's realm roles are `realm_access.roles`). A missing claim has no values.
 */
export function claimValues(claims: Record<string, unknown>, claim: string): string[] {
  let value: unknown = claim in claims ? claims[claim] : claims;
  if (!(claim in claims)) {
    for (const part of claim.split(".")) value = value && typeof value === "object" ? (value as Record<string, unknown>)[part] : undefined;
  }
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return [];
}

/** The strongest instance role the claim values are mapped to, else the fallback (a removed group loses its role). */
export function mappedInstanceRole(values: readonly string[], grants: readonly RoleGrant[], fallback: Role): Role {
  let best: Role | null = null;
  for (const g of grants) {
    if (g.workspace !== null || !values.includes(g.claimValue)) continue;
    if (best === null || hasRole(g.role, best)) best = g.role;
  }
  return best ?? fallback;
}

/** The workspace grants the claim values carry. */
export function workspaceGrants(values: readonly string[], grants: readonly RoleGrant[]): RoleGrant[] {
  return grants.filter((g) => g.workspace !== null && values.includes(g.claimValue));
}

/** Workspace slug → the strongest role the claim values grant there (several groups may name one workspace). */
export function workspaceRoles(values: readonly string[], grants: readonly RoleGrant[]): Map<string, Role> {
  const bySlug = new Map<string, Role>();
  for (const g of workspaceGrants(values, grants)) {
    const held = bySlug.get(g.workspace!);
    if (held === undefined || hasRole(g.role, held)) bySlug.set(g.workspace!, g.role);
  }
  return bySlug;
}
