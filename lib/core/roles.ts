// Pure role logic, importable from client components (no server-only).
export const roles = ["admin", "editor", "viewer"] as const;
export type Role = (typeof roles)[number];

const rank: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

/** True when `role` is `min` or stronger (admin > editor > viewer). */
export function hasRole(role: Role, min: Role): boolean {
  return rank[role] >= rank[min];
}
