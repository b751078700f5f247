import type { Role } from "./roles";

export type SessionUser = { id: string; email: string; name: string; role: Role };
export type KeyIdentity = { id: string; name: string; prefix: string; scopes: string[]; expiresAt: Date | null; cacheEnabled?: boolean };

/** Who is calling: a signed-in console user, or an API key. */
export type Principal =
  | { kind: "user"; user: SessionUser }
  | { kind: "apiKey"; key: KeyIdentity }
  /** The admin CLI and start-up seeding: trusted, audited under its own name. */
  | { kind: "system"; name: string };

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
