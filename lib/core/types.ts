// The client-safe face of lib/core: principal and role types, and pure helpers
// over them. Nothing here may import server-only code.
export { roles, hasRole, type Role } from "./roles";
export { actorOf, isAdminPrincipal, type Principal, type SessionUser, type KeyIdentity } from "./principal";
export { wildcardMatch } from "./wildcard";
