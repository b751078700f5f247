import type { Role } from "./roles";

/** The workspace "Default" that migration 20261207230000_workspaces created; owned columns default to it. */
export const DEFAULT_WORKSPACE_ID = "00000000-0000-0000-0000-000000000001";

/** What a request needs of its workspace; it travels with the principal, so scoping costs no read. */
export type WorkspaceRef = { id: string; slug: string; name: string; allowedModels: string[] };

/**
 * `role` is the user's role in `workspace` (the one the console shows them now):
 * their membership's, or admin for an instance admin. Every role check is
 * therefore a check in the current workspace.
 */
export type SessionUser = {
  id: string; email: string; name: string; role: Role;
  /** Absent only where a test or script builds a user by hand: then not an instance admin, acting in Default. */
  instanceAdmin?: boolean; workspace?: WorkspaceRef;
};
export type KeyIdentity = {
  id: string; name: string; prefix: string; scopes: string[]; expiresAt: Date | null; cacheEnabled?: boolean;
  /** The key's workspace, read with the key (one query) and cached with it. */
  workspace: Pick<WorkspaceRef, "id" | "allowedModels">;
};

/** Who is calling: a signed-in console user, or an API key. */
export type Principal =
  | { kind: "user"; user: SessionUser }
  | { kind: "apiKey"; key: KeyIdentity }
  /** The admin CLI and start-up seeding: trusted, audited under its own name. */
  | { kind: "system"; name: string; workspaceId?: string };

/** The workspace a principal acts in: every read and write of team-owned data is filtered by it. */
export function workspaceOf(p: Principal): string {
  if (p.kind === "user") return p.user.workspace?.id ?? DEFAULT_WORKSPACE_ID;
  if (p.kind === "apiKey") return p.key.workspace.id;
  return p.workspaceId ?? DEFAULT_WORKSPACE_ID;
}

/** The workspace a signed-in user is acting in (the header's switcher). */
export const userWorkspace = (user: SessionUser): string => user.workspace?.id ?? DEFAULT_WORKSPACE_ID;

/** Above the workspaces: provider accounts, pricing, users, workspaces and instance settings. */
export function isInstanceAdmin(p: Principal): boolean {
  if (p.kind === "system") return true;
  return p.kind === "user" ? p.user.instanceAdmin === true : p.key.scopes.includes("admin") && p.key.workspace.id === DEFAULT_WORKSPACE_ID;
}

/** Audit actor fields for a principal. */
export function actorOf(p: Principal): { actorId: string | null; actorEmail: string | null } {
  if (p.kind === "user") return { actorId: p.user.id, actorEmail: p.user.email };
  if (p.kind === "apiKey") return { actorId: null, actorEmail: `apikey:${p.key.prefix}` };
  return { actorId: null, actorEmail: `system:${p.name}` };
}

export function isAdminPrincipal(p: Principal): boolean {
  if (p.kind === "system") return true;
  return p.kind === "user" ? p.user.role === "admin" : p.key.scopes.includes("admin");
}
