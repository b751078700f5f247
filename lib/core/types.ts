// The client-safe face of lib/core: principal and role types, and pure helpers
// over them. Nothing here may import server-only code.
export { roles, hasRole, type Role } from "./roles";
export { actorOf, isAdminPrincipal, isInstanceAdmin, workspaceOf, userWorkspace, DEFAULT_WORKSPACE_ID, type Principal, type SessionUser, type KeyIdentity, type WorkspaceRef } from "./principal";
export { wildcardMatch } from "./wildcard";
