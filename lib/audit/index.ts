import "server-only";
import { db, Prisma, type DbClient } from "@/lib/db";
import { actorOf, workspaceOf, type Principal } from "@/lib/core";

export type AuditEntry = {
  action: string;
  targetType: string;
  targetId?: string | null;
  before?: unknown;
  after?: unknown;
  ip?: string | null;
  /** Defaults to the actor's workspace, or null for what the instance owns (INSTANCE_TARGETS). */
  workspaceId?: string | null;
};

/** Target types the instance owns, not a workspace: their entries carry no workspace. */
const INSTANCE_TARGETS = new Set(["account", "ModelPrice", "secret", "setting", "user", "workspace"]);

const json = (v: unknown) => (v === undefined || v === null ? Prisma.DbNull : (JSON.parse(JSON.stringify(v)) as Prisma.InputJsonValue));

/** Appends one audit entry; pass the mutation's transaction so both commit or neither does. */
export async function recordAudit(actor: Principal | null, entry: AuditEntry, client: DbClient = db): Promise<void> {
  const who = actor ? actorOf(actor) : { actorId: null, actorEmail: "system" };
  await client.auditLog.create({
    data: {
      ...who,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId ?? null,
      before: json(entry.before),
      after: json(entry.after),
      ip: entry.ip ?? null,
      workspaceId: entry.workspaceId !== undefined ? entry.workspaceId : INSTANCE_TARGETS.has(entry.targetType) || !actor ? null : workspaceOf(actor),
    },
  });
}

/**
 * `workspaceId`: the entries of that workspace; `instance`: also the entries of no
 * workspace (instance admins). Required, so no caller lists every workspace by accident.
 */
export type AuditFilter = {
  workspaceId: string; instance?: boolean;
  actor?: string; action?: string; from?: Date; to?: Date; page?: number; pageSize?: number;
};

export async function listAudit(f: AuditFilter) {
  const pageSize = Math.min(Math.max(f.pageSize ?? 50, 1), 200);
  const page = Math.max(f.page ?? 1, 1);
  const where: Prisma.AuditLogWhereInput = {
    ...(f.instance ? { OR: [{ workspaceId: f.workspaceId }, { workspaceId: null }] } : { workspaceId: f.workspaceId }),
    ...(f.actor ? { actorEmail: { contains: f.actor, mode: "insensitive" } } : {}),
    ...(f.action ? { action: { startsWith: f.action } } : {}),
    ...(f.from || f.to ? { createdAt: { ...(f.from ? { gte: f.from } : {}), ...(f.to ? { lt: f.to } : {}) } } : {}),
  };
  const [rows, total] = await Promise.all([
    db.auditLog.findMany({ where, orderBy: { createdAt: "desc" }, skip: (page - 1) * pageSize, take: pageSize }),
    db.auditLog.count({ where }),
  ]);
  return { rows, total, page, pageSize, pages: Math.max(1, Math.ceil(total / pageSize)) };
}

export async function listAuditActions(scope: Pick<AuditFilter, "workspaceId" | "instance">): Promise<string[]> {
  const where: Prisma.AuditLogWhereInput = scope.instance ? { OR: [{ workspaceId: scope.workspaceId }, { workspaceId: null }] } : { workspaceId: scope.workspaceId };
  const rows = await db.auditLog.findMany({ where, distinct: ["action"], select: { action: true }, orderBy: { action: "asc" } });
  return rows.map((r) => r.action);
}

export type AuditedResult<T> = { result: T; targetId?: string | null; before?: unknown; after?: unknown };

/**
 * Runs a mutation and its audit entry in one transaction: a change is never
 * committed without its record, and a failed change leaves no record.
 */
export async function withAudit<T>(
  actor: Principal,
  meta: { action: string; targetType: string; ip?: string | null },
  fn: (tx: DbClient) => Promise<AuditedResult<T>>,
): Promise<T> {
  return db.$transaction(async (tx) => {
    const out = await fn(tx);
    await recordAudit(actor, { ...meta, targetId: out.targetId, before: out.before, after: out.after }, tx);
    return out.result;
  });
}
