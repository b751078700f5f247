import "server-only";
import { db, type DbClient } from "@/lib/db";
import { AppError, notFound } from "@/lib/http/errors";
import { hashPassword, verifyPassword, dummyHash } from "./passwords";
import type { Role } from "@/lib/auth/roles";
import type { Principal, SessionUser } from "@/lib/auth/principal";
import { withAudit } from "@/lib/audit";
import { createUserInput, setDisabledInput, setRoleInput, type CreateUserInput } from "./schemas";

export * from "./schemas";

const publicFields = { id: true, email: true, name: true, role: true, disabled: true, createdAt: true, updatedAt: true } as const;

export async function listUsers() {
  return db.user.findMany({ select: publicFields, orderBy: { createdAt: "asc" } });
}

export async function countAdmins(client: DbClient = db): Promise<number> {
  return client.user.count({ where: { role: "admin", disabled: false } });
}

/** Creates a user without an audit entry: for the seed and the admin CLI's first user. */
export async function insertUser(input: CreateUserInput, client: DbClient = db) {
  const data = createUserInput.parse(input);
  return client.user.create({
    data: { email: data.email, name: data.name, role: data.role, passwordHash: await hashPassword(data.password) },
    select: publicFields,
  });
}

export async function createUser(actor: Principal, input: unknown, ip?: string | null) {
  const data = createUserInput.parse(input);
  return withAudit(actor, { action: "user.create", targetType: "user", ip }, async (tx) => {
    const user = await insertUser(data, tx);
    return { result: user, targetId: user.id, after: user };
  });
}

// Removing the last active admin would lock everyone out of user management.
async function assertAdminRemains(tx: DbClient, id: string) {
  const remaining = await tx.user.count({ where: { role: "admin", disabled: false, id: { not: id } } });
  if (remaining === 0) throw new AppError("conflict", "At least one active admin must remain");
}

export async function setUserRole(actor: Principal, input: unknown, ip?: string | null) {
  const { id, role } = setRoleInput.parse(input);
  return withAudit(actor, { action: "user.role", targetType: "user", ip }, async (tx) => {
    const before = await tx.user.findUnique({ where: { id }, select: publicFields });
    if (!before) throw notFound("User");
    if (before.role === "admin" && role !== "admin") await assertAdminRemains(tx, id);
    const after = await tx.user.update({ where: { id }, data: { role }, select: publicFields });
    return { result: after, targetId: id, before: { role: before.role }, after: { role } };
  });
}

export async function setUserDisabled(actor: Principal, input: unknown, ip?: string | null) {
  const { id, disabled } = setDisabledInput.parse(input);
  return withAudit(actor, { action: disabled ? "user.disable" : "user.enable", targetType: "user", ip }, async (tx) => {
    const before = await tx.user.findUnique({ where: { id }, select: publicFields });
    if (!before) throw notFound("User");
    if (disabled && before.role === "admin") await assertAdminRemains(tx, id);
    const after = await tx.user.update({ where: { id }, data: { disabled }, select: publicFields });
    return { result: after, targetId: id, before: { disabled: before.disabled }, after: { disabled } };
  });
}

/** Checks credentials; null for unknown, wrong or disabled, in constant-ish time. */
export async function authenticate(email: string, password: string): Promise<SessionUser | null> {
  const user = await db.user.findUnique({ where: { email: email.trim().toLowerCase() } });
  const ok = await verifyPassword(password, user?.passwordHash ?? dummyHash());
  if (!user || !ok || user.disabled) return null;
  return { id: user.id, email: user.email, name: user.name, role: user.role as Role };
}

/** The current state of a session's user: role changes and disabling take effect on the next request. */
export async function activeUser(id: string): Promise<SessionUser | null> {
  const user = await db.user.findUnique({ where: { id }, select: publicFields });
  if (!user || user.disabled) return null;
  return { id: user.id, email: user.email, name: user.name, role: user.role as Role };
}
export { hashPassword, verifyPassword } from "./passwords";
export { consoleSummary } from "./summary";
