import "server-only";
import { db, isUuid, type DbClient } from "@/lib/db";
import { AppError, DEFAULT_WORKSPACE_ID, notFound, workspaceOf } from "@/lib/core";
import { generatePassword, hashPassword, verifyPassword, dummyHash, PasswordHasherBusy } from "./passwords";
import type { Role } from "@/lib/core";
import type { Principal, SessionUser } from "@/lib/core";
import { withAudit } from "@/lib/audit";
import { admitLoginAttempt, releaseLoginAttempt } from "./login-attempts";
import { NO_PASSWORD_HASH } from "./sso-users";
import { changePasswordInput, createUserInput, endSessionsInput, resetPasswordInput, setDisabledInput, setRoleInput, type CreateUserInput } from "./schemas";

export * from "./schemas";
export {
  admitLoginAttempt, releaseLoginAttempt, settleSuccessfulSignIn, clearLoginFailures, ensureBucketSweeper, stopBucketSweeper, sweepRateLimitBuckets, type LoginGate,
} from "./login-attempts";

const publicFields = { id: true, email: true, name: true, role: true, disabled: true, createdAt: true, updatedAt: true } as const;

export async function listUsers() {
  return db.user.findMany({ select: publicFields, orderBy: { createdAt: "asc" } });
}

export async function countAdmins(client: DbClient = db): Promise<number> {
  return client.user.count({ where: { role: "admin", disabled: false } });
}

/** Creates a user without an audit entry: for the seed and the admin CLI's first user. */
export async function insertUser(input: CreateUserInput & { workspaceId?: string; instanceAdmin?: boolean }, client: DbClient = db) {
  const data = createUserInput.parse(input);
  // A new user belongs to Default with their role (instance admins: admin everywhere); lib/workspaces adds them elsewhere.
  return client.user.create({
    data: {
      email: data.email, name: data.name, role: data.role, passwordHash: await hashPassword(data.password),
      instanceAdmin: data.role === "admin" && (input.instanceAdmin ?? true),
      memberships: { create: { workspaceId: input.workspaceId ?? DEFAULT_WORKSPACE_ID, role: data.role } },
    },
    select: publicFields,
  });
}

export async function createUser(actor: Principal, input: unknown, ip?: string | null) {
  const data = createUserInput.parse(input);
  return withAudit(actor, { action: "user.create", targetType: "user", ip }, async (tx) => {
    // A new user joins the workspace the instance admin is working in, with the chosen role.
    const user = await insertUser({ ...data, workspaceId: workspaceOf(actor) }, tx);
    return { result: user, targetId: user.id, after: user };
  });
}

// Removing the last active admin would lock everyone out of user management.
async function assertAdminRemains(tx: DbClient, id: string) {
  const remaining = await tx.user.count({ where: { instanceAdmin: true, disabled: false, id: { not: id } } });
  if (remaining === 0) throw new AppError("conflict", "At least one active admin must remain");
}

export async function setUserRole(actor: Principal, input: unknown, ip?: string | null) {
  const { id, role } = setRoleInput.parse(input);
  return withAudit(actor, { action: "user.role", targetType: "user", ip }, async (tx) => {
    const before = await tx.user.findUnique({ where: { id }, select: publicFields });
    if (!before) throw notFound("User");
    if (before.role === "admin" && role !== "admin") await assertAdminRemains(tx, id);
    // The users page is the instance's: admin there means instance admin; the role is also the user's role in the actor's workspace
    // (set by hand, so single sign-on's claims leave that membership alone from now on).
    const workspaceId = workspaceOf(actor);
    const after = await tx.user.update({
      where: { id },
      data: { role, instanceAdmin: role === "admin", memberships: { upsert: { where: { userId_workspaceId: { userId: id, workspaceId } }, create: { workspaceId, role }, update: { role, source: "manual" } } } },
      select: publicFields,
    });
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

// Sessions are JWTs that carry the user's `sessionVersion` from sign-in (read
// from the same row as the password hash). A new password, or "sign out
// everywhere", increments it, so every older session fails activeUser on its
// next request, on every instance; a sign-in racing the change read the old
// version and is refused too. No clocks are compared. Audit entries record
// that it happened, never a hash or a password.
const NEXT_VERSION = { sessionVersion: { increment: 1 } } as const;

/**
 * The signed-in user changes their own password; their sessions (this one too) end.
 * Each check of the current password counts against the sign-in limit of the
 * account (before it runs, like a sign-in), so a stolen session cannot guess its
 * way to the password; the right one is taken back off the count. bcrypt runs
 * outside the transaction, and the update applies only if the hash is still the
 * one checked.
 */
export async function changeOwnPassword(actor: Principal, input: unknown, ip?: string | null): Promise<void> {
  if (actor.kind !== "user") throw new AppError("forbidden", "Only a signed-in user can change their own password");
  const data = changePasswordInput.parse(input);
  const email = actor.user.email;
  const user = await db.user.findUnique({ where: { id: actor.user.id }, select: { passwordHash: true } });
  if (!user) throw notFound("User");
  if (user.passwordHash === NO_PASSWORD_HASH) {
    throw new AppError("validation_error", "This account signs in with single sign-on and has no password here", { param: "currentPassword" });
  }
  const gate = await admitLoginAttempt(email, ip ?? null);
  if (!gate.allowed) {
    throw new AppError("rate_limit_exceeded", `Too many wrong passwords; try again in ${gate.retryAfterSeconds} s`, { param: "currentPassword" });
  }
  let ok: boolean;
  try {
    ok = await verifyPassword(data.currentPassword, user.passwordHash);
  } catch (err) {
    if (err instanceof PasswordHasherBusy) await releaseLoginAttempt(email, ip ?? null, gate);
    throw err;
  }
  if (!ok) throw new AppError("validation_error", "The current password is not correct", { param: "currentPassword" });
  await releaseLoginAttempt(email, ip ?? null, gate);
  const passwordHash = await hashPassword(data.newPassword);
  await withAudit(actor, { action: "user.password.change", targetType: "user", ip }, async (tx) => {
    const { count } = await tx.user.updateMany({ where: { id: actor.user.id, passwordHash: user.passwordHash }, data: { passwordHash, ...NEXT_VERSION } });
    if (count === 0) throw new AppError("conflict", "The password was changed meanwhile; sign in again");
    return { result: undefined, targetId: actor.user.id, after: { sessionsEnded: true } };
  });
}

/** Ends every session of the signed-in user, on every instance, this one included (a lost laptop, a shared screen). */
export async function endOwnSessions(actor: Principal, input: unknown, ip?: string | null): Promise<void> {
  endSessionsInput.parse(input);
  if (actor.kind !== "user") throw new AppError("forbidden", "Only a signed-in user can end their own sessions");
  await withAudit(actor, { action: "user.sessions.end", targetType: "user", ip }, async (tx) => {
    await tx.user.update({ where: { id: actor.user.id }, data: NEXT_VERSION });
    return { result: undefined, targetId: actor.user.id, after: { sessionsEnded: true } };
  });
}

/**
 * An admin sets another user's password (or a generated one, returned once);
 * that user's sessions end. Not one's own: that needs the current password
 * (changeOwnPassword), or a stolen admin session could take the account over.
 */
export async function resetUserPassword(actor: Principal, input: unknown, ip?: string | null): Promise<{ email: string; password: string | null }> {
  const { id, password } = resetPasswordInput.parse(input);
  if (actor.kind === "user" && actor.user.id === id) {
    throw new AppError("forbidden", "Change your own password on your account page; it needs the current one", { param: "id" });
  }
  const chosen = password ?? generatePassword();
  const passwordHash = await hashPassword(chosen);
  return withAudit(actor, { action: "user.password.reset", targetType: "user", ip }, async (tx) => {
    const user = await tx.user.findUnique({ where: { id }, select: { email: true } });
    if (!user) throw notFound("User");
    await tx.user.update({ where: { id }, data: { passwordHash, ...NEXT_VERSION } });
    return { result: { email: user.email, password: password ? null : chosen }, targetId: id, after: { email: user.email, sessionsEnded: true } };
  });
}

/**
 * Checks credentials; null for unknown, wrong or disabled, in constant-ish time. The session version is read with the hash.
 * Throws PasswordHasherBusy, having checked nothing, when the password hasher is full.
 */
export async function authenticate(email: string, password: string): Promise<(Pick<SessionUser, "id" | "email" | "name" | "role"> & { sessionVersion: number }) | null> {
  const user = await db.user.findUnique({ where: { email: email.trim().toLowerCase() } });
  // A user created by single sign-on has no password: the dummy compare keeps the timing of an unknown email.
  const hash = user && user.passwordHash !== NO_PASSWORD_HASH ? user.passwordHash : await dummyHash();
  const ok = (await verifyPassword(password, hash)) && hash === user?.passwordHash;
  if (!user || !ok || user.disabled) return null;
  return { id: user.id, email: user.email, name: user.name, role: user.role as Role, sessionVersion: user.sessionVersion };
}

/**
 * The current state of a session's user: role changes, disabling and a new
 * password take effect on the next request. `sessionVersion` is what the
 * session was issued with; a session from before the last password change
 * (or "sign out everywhere") carries an older one and is refused.
 */
export async function activeUser(id: string, sessionVersion?: number): Promise<SessionUser | null> {
  if (!isUuid(id)) return null;
  // One round trip: the user, and the workspace the console shows them (the one they
  // last switched to if they may still see it, else Default, else their oldest) with their role there.
  const rows = await db.$queryRaw<ActiveRow[]>`
    SELECT u."id", u."email", u."name", u."disabled", u."sessionVersion", u."instanceAdmin",
           w."id" AS "wsId", w."slug" AS "wsSlug", w."name" AS "wsName", w."allowedModels" AS "wsAllowedModels", w."role" AS "wsRole"
      FROM "User" u
      LEFT JOIN LATERAL (
        SELECT ws."id", ws."slug", ws."name", ws."allowedModels", m."role"
          FROM "Workspace" ws LEFT JOIN "Membership" m ON m."workspaceId" = ws."id" AND m."userId" = u."id"
         WHERE m."userId" IS NOT NULL OR u."instanceAdmin"
         ORDER BY (ws."id" = u."currentWorkspaceId") IS TRUE DESC, (ws."id" = ${DEFAULT_WORKSPACE_ID}::uuid) DESC, ws."createdAt"
         LIMIT 1
      ) w ON true
     WHERE u."id" = ${id}::uuid`;
  const user = rows[0];
  if (!user || user.disabled) return null;
  if ((sessionVersion ?? 0) !== user.sessionVersion) return null;
  // A user who belongs to no workspace (and is no instance admin) may see nothing.
  if (!user.wsId) return null;
  return {
    id: user.id, email: user.email, name: user.name,
    role: user.instanceAdmin ? "admin" : (user.wsRole ?? "viewer"),
    instanceAdmin: user.instanceAdmin,
    workspace: { id: user.wsId, slug: user.wsSlug!, name: user.wsName!, allowedModels: user.wsAllowedModels ?? [] },
  };
}
export { signInWithSso, recordSsoRefusal, NO_PASSWORD_HASH, type SsoIdentity, type SsoSignInResult } from "./sso-users";

type ActiveRow = {
  id: string; email: string; name: string; disabled: boolean; sessionVersion: number; instanceAdmin: boolean;
  wsId: string | null; wsSlug: string | null; wsName: string | null; wsAllowedModels: string[] | null; wsRole: Role | null;
};
export { generatePassword, hashPassword, verifyPassword, PasswordHasherBusy, passwordHasherFull } from "./passwords";
export { consoleSummary } from "./summary";
