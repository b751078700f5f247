import "server-only";
import { db, isUuid, publishInvalidation } from "@/lib/db";
import { withAudit } from "@/lib/audit";
import { AppError, forbidden, isInstanceAdmin, notFound, type Principal } from "@/lib/core";
import { logger } from "@/lib/observability";
import {
  createWorkspaceInput, memberInput, removeMemberInput, switchWorkspaceInput, updateWorkspaceInput,
  type MemberView, type WorkspaceView,
} from "./schemas";

// Workspaces and memberships: the instance admin's to manage. Every mutation is
// audited as an instance-level entry (targetType "workspace": no workspace of its own).
// A change of a workspace's allowed models is announced on "workspaces": cached
// API keys carry the list (lib/auth/api-keys.ts), so every instance drops them.

function assertInstanceAdmin(actor: Principal): void {
  if (!isInstanceAdmin(actor)) throw forbidden("Only instance admins manage workspaces");
}

const view = (w: { id: string; name: string; slug: string; allowedModels: string[]; createdAt: Date; _count?: { memberships: number } }): WorkspaceView => ({
  id: w.id, name: w.name, slug: w.slug, allowedModels: w.allowedModels, members: w._count?.memberships ?? 0, createdAt: w.createdAt.toISOString(),
});

export async function listWorkspaces(): Promise<WorkspaceView[]> {
  const rows = await db.workspace.findMany({ orderBy: { createdAt: "asc" }, include: { _count: { select: { memberships: true } } } });
  return rows.map(view);
}

/** The workspaces a user may switch to: their memberships, or every workspace for an instance admin. */
export async function workspacesOf(user: { id: string; instanceAdmin?: boolean }): Promise<{ id: string; name: string; slug: string; role: string }[]> {
  if (user.instanceAdmin) return (await db.workspace.findMany({ orderBy: { createdAt: "asc" } })).map((w) => ({ id: w.id, name: w.name, slug: w.slug, role: "admin" }));
  const rows = await db.membership.findMany({ where: { userId: user.id }, include: { workspace: true }, orderBy: { workspace: { createdAt: "asc" } } });
  return rows.map((m) => ({ id: m.workspace.id, name: m.workspace.name, slug: m.workspace.slug, role: m.role }));
}

/** By id or slug; null when there is none. */
export async function findWorkspace(idOrSlug: string) {
  return db.workspace.findFirst({ where: isUuid(idOrSlug) ? { id: idOrSlug } : { slug: idOrSlug.toLowerCase() } });
}

export async function createWorkspace(actor: Principal, input: unknown, ip?: string | null): Promise<WorkspaceView> {
  assertInstanceAdmin(actor);
  const data = createWorkspaceInput.parse(input);
  try {
    return await withAudit(actor, { action: "workspace.create", targetType: "workspace", ip }, async (tx) => {
      const w = await tx.workspace.create({ data: { name: data.name, slug: data.slug, allowedModels: data.allowedModels } });
      return { result: view(w), targetId: w.id, after: { name: w.name, slug: w.slug, allowedModels: w.allowedModels } };
    });
  } catch (e) {
    if ((e as { code?: unknown })?.code === "P2002") throw new AppError("conflict", `A workspace with the slug '${data.slug}' already exists`, { param: "slug" });
    throw e;
  }
}

/** Renames a workspace and/or sets its allowed models (globs; empty = every model). */
export async function updateWorkspace(actor: Principal, input: unknown, ip?: string | null): Promise<WorkspaceView> {
  assertInstanceAdmin(actor);
  const data = updateWorkspaceInput.parse(input);
  const w = await withAudit(actor, { action: "workspace.update", targetType: "workspace", ip }, async (tx) => {
    const before = await tx.workspace.findUnique({ where: { id: data.id } });
    if (!before) throw notFound("Workspace");
    const after = await tx.workspace.update({ where: { id: data.id }, data: { name: data.name, allowedModels: data.allowedModels } });
    return {
      result: after,
      targetId: after.id,
      before: { name: before.name, allowedModels: before.allowedModels },
      after: { name: after.name, allowedModels: after.allowedModels },
    };
  });
  if (data.allowedModels) {
    await publishInvalidation("workspaces", w.id).catch((err: unknown) => logger.warn({ err }, "could not announce a workspace's allowed models; keys catch up within their cache TTL"));
  }
  return view(w);
}

export async function listMembers(workspaceId: string): Promise<MemberView[]> {
  const rows = await db.membership.findMany({ where: { workspaceId }, include: { user: true }, orderBy: { createdAt: "asc" } });
  return rows.map((m) => ({ userId: m.userId, email: m.user.email, name: m.user.name, role: m.role, instanceAdmin: m.user.instanceAdmin }));
}

/**
 * Adds a user to a workspace, or changes their role there. Takes effect on their next request.
 * The membership is the admins' from now on (source "manual"): single sign-on leaves it alone.
 */
export async function setMember(actor: Principal, input: unknown, ip?: string | null): Promise<MemberView> {
  assertInstanceAdmin(actor);
  const data = memberInput.parse(input);
  return withAudit(actor, { action: "workspace.member.set", targetType: "workspace", ip }, async (tx) => {
    const user = await tx.user.findUnique({ where: { email: data.email } });
    if (!user) throw notFound(`User '${data.email}'`);
    if (!(await tx.workspace.findUnique({ where: { id: data.workspaceId }, select: { id: true } }))) throw notFound("Workspace");
    const key = { userId_workspaceId: { userId: user.id, workspaceId: data.workspaceId } };
    const before = await tx.membership.findUnique({ where: key });
    const m = await tx.membership.upsert({ where: key, create: { userId: user.id, workspaceId: data.workspaceId, role: data.role }, update: { role: data.role, source: "manual" } });
    return {
      result: { userId: user.id, email: user.email, name: user.name, role: m.role, instanceAdmin: user.instanceAdmin },
      targetId: data.workspaceId,
      before: before ? { email: user.email, role: before.role } : null,
      after: { email: user.email, role: m.role },
    };
  });
}

export async function removeMember(actor: Principal, input: unknown, ip?: string | null): Promise<void> {
  assertInstanceAdmin(actor);
  const data = removeMemberInput.parse(input);
  await withAudit(actor, { action: "workspace.member.remove", targetType: "workspace", ip }, async (tx) => {
    const user = await tx.user.findUnique({ where: { email: data.email }, select: { id: true } });
    const m = user ? await tx.membership.findUnique({ where: { userId_workspaceId: { userId: user.id, workspaceId: data.workspaceId } } }) : null;
    if (!user || !m) throw notFound("Membership");
    await tx.membership.delete({ where: { userId_workspaceId: { userId: user.id, workspaceId: data.workspaceId } } });
    return { result: undefined, targetId: data.workspaceId, before: { email: data.email, role: m.role } };
  });
}

/**
 * The header's switcher: remembers the workspace the console shows this user.
 * A workspace they may not see answers 404, like any other workspace's id.
 */
export async function switchWorkspace(actor: Principal, input: unknown): Promise<{ id: string }> {
  if (actor.kind !== "user") throw forbidden("Only a signed-in user switches workspaces");
  const { workspaceId } = switchWorkspaceInput.parse(input);
  const allowed = actor.user.instanceAdmin
    ? await db.workspace.count({ where: { id: workspaceId } })
    : await db.membership.count({ where: { userId: actor.user.id, workspaceId } });
  if (!allowed) throw notFound("Workspace");
  await db.user.update({ where: { id: actor.user.id }, data: { currentWorkspaceId: workspaceId } });
  return { id: workspaceId };
}
