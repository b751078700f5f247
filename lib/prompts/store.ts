import "server-only";
import { cache } from "react";
import { db, Prisma, type DbClient } from "@/lib/db";
import { withAudit } from "@/lib/audit";
import { recordEvent } from "@/lib/events";
import { actorOf, isAdminPrincipal, workspaceOf, type Principal } from "@/lib/core";
import { AppError, notFound } from "@/lib/core";
import { composeContent } from "./compose";
import { checkTemplates } from "./engine";
import { assertLabelGates, assertMayChangeLabel } from "./label-rules";
import { invalidateGlobals, invalidatePrompt } from "./resolve";
import { toVersionView } from "./views";
import {
  LATEST_LABEL, createPromptInput, createPromptVersionInput, globalVariableInput, labelName, moveLabelInput, updatePromptInput,
  type GlobalVariableView, type LabelView, type PromptContent, type PromptDetail, type PromptListItem,
  type VersionSummary, type VersionView,
} from "./schemas";

// Prompts, their immutable versions and their labels. Invariants:
// - a version is never updated or deleted; numbers are consecutive per prompt
//   (the prompt row is locked while the next number is taken, and
//   (promptId, version) is unique as the last line of defence);
// - every save moves `latest`; protected labels move only for admins;
// - every change is audited in its own transaction and then invalidates the
//   resolution caches of every instance (lib/prompts/resolve.ts).

const json = (v: unknown) => JSON.parse(JSON.stringify(v)) as Prisma.InputJsonValue;

function contentData(c: PromptContent) {
  return {
    type: c.type,
    messages: c.type === "chat" ? json(c.messages) : Prisma.DbNull,
    text: c.type === "text" ? c.text : null,
    variables: json(c.variables),
    config: json(c.config),
  };
}

function assertMayMove(actor: Principal, protectedLabels: string[], label: string): void {
  if (label === LATEST_LABEL) {
    throw new AppError("bad_request", "'latest' moves by itself on every save; it cannot be moved by hand", { param: "label" });
  }
  assertMayChangeLabel(actor, protectedLabels, label, "move it");
}

/**
 * Points `labels` at a new version, and records a prompt.label_moved event for each one but
 * `latest` in the same transaction: a label set while saving is as much a move as moveLabel's
 * (`latest` moves on every save; prompt.version_created already says so, with its labels).
 */
async function setLabels(
  tx: DbClient, prompt: { id: string; name: string; workspaceId: string }, version: { id: string; version: number }, labels: string[], movedBy: string | null,
): Promise<void> {
  const before = await tx.promptLabel.findMany({
    where: { promptId: prompt.id, name: { in: [...new Set(labels)] } },
    select: { name: true, version: { select: { version: true } } },
  });
  for (const name of new Set(labels)) {
    await tx.promptLabel.upsert({
      where: { promptId_name: { promptId: prompt.id, name } },
      create: { promptId: prompt.id, name, versionId: version.id },
      update: { versionId: version.id },
    });
    if (name === LATEST_LABEL) continue;
    const fromVersion = before.find((b) => b.name === name)?.version.version ?? null;
    await recordEvent({
      type: "prompt.label_moved", workspaceId: prompt.workspaceId,
      data: { prompt: prompt.name, label: name, fromVersion, toVersion: version.version, movedBy },
    }, tx);
  }
}

function duplicateName(e: unknown, name: string): unknown {
  const code = (e as { code?: unknown })?.code;
  return code === "P2002" ? new AppError("conflict", `A prompt named '${name}' already exists`, { param: "name" }) : e;
}

// -------------------------------------------------------------------- reads

export async function listPrompts(workspaceId: string, filter: { q?: string; tag?: string } = {}): Promise<PromptListItem[]> {
  const q = filter.q?.trim();
  const where: Prisma.PromptWhereInput = {
    workspaceId,
    ...(q
      ? { OR: [{ name: { contains: q, mode: "insensitive" } }, { description: { contains: q, mode: "insensitive" } }, { tags: { has: q } }] }
      : {}),
    ...(filter.tag ? { tags: { has: filter.tag } } : {}),
  };
  const rows = await db.prompt.findMany({
    where,
    orderBy: { updatedAt: "desc" },
    take: 500,
    select: {
      name: true, description: true, tags: true, updatedAt: true,
      labels: { select: { name: true, version: { select: { version: true } } } },
      versions: { orderBy: { version: "desc" }, take: 1, select: { version: true } },
    },
  });
  return rows.map((r) => {
    const labels = r.labels.map((l) => ({ name: l.name, version: l.version.version })).sort((a, b) => a.name.localeCompare(b.name));
    return {
      name: r.name,
      description: r.description,
      tags: r.tags,
      updatedAt: r.updatedAt.toISOString(),
      latestVersion: r.versions[0]?.version ?? null,
      productionVersion: labels.find((l) => l.name === "production")?.version ?? null,
      labels,
    };
  });
}

export async function listTags(workspaceId: string): Promise<string[]> {
  const rows = await db.prompt.findMany({ where: { workspaceId }, select: { tags: true } });
  return [...new Set(rows.flatMap((r) => r.tags))].sort();
}

/**
 * The prompt, or null when there is none (console pages answer 404); other
 * errors still throw. Memoised per request, so a page and its layout share one read.
 */
export const findPrompt = cache(async (workspaceId: string, name: string): Promise<PromptDetail | null> => {
  try {
    return await getPrompt(workspaceId, name);
  } catch (e) {
    if (e instanceof AppError && e.code === "not_found") return null;
    throw e;
  }
});

/** A prompt of the workspace; another workspace's prompt of the same name is a different prompt (404 here). */
export async function getPrompt(workspaceId: string, name: string): Promise<PromptDetail> {
  const p = await db.prompt.findUnique({
    where: { workspaceId_name: { workspaceId, name } },
    include: {
      labels: { include: { version: { select: { version: true } } } },
      versions: {
        orderBy: { version: "desc" },
        select: { id: true, version: true, commitMessage: true, authorEmail: true, createdAt: true },
      },
    },
  });
  if (!p) throw new AppError("not_found", `Prompt '${name}' not found`, { param: "prompt", extra: { code: "prompt_not_found" } });
  const labels: LabelView[] = p.labels
    .map((l) => ({ name: l.name, version: l.version.version, protected: p.protectedLabels.includes(l.name), updatedAt: l.updatedAt.toISOString() }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const versions: VersionSummary[] = p.versions.map((v) => ({
    id: v.id,
    version: v.version,
    commitMessage: v.commitMessage,
    authorEmail: v.authorEmail,
    createdAt: v.createdAt.toISOString(),
    labels: labels.filter((l) => l.version === v.version).map((l) => l.name),
  }));
  return {
    id: p.id, name: p.name, description: p.description, tags: p.tags, protectedLabels: p.protectedLabels,
    createdAt: p.createdAt.toISOString(), updatedAt: p.updatedAt.toISOString(), labels, versions,
  };
}

export async function getVersion(workspaceId: string, name: string, version: number): Promise<VersionView> {
  const row = await db.promptVersion.findFirst({
    where: { version, prompt: { workspaceId, name } },
    include: { labels: { select: { name: true } } },
  });
  if (!row) {
    const exists = await db.prompt.count({ where: { workspaceId, name } });
    if (!exists) throw new AppError("not_found", `Prompt '${name}' not found`, { param: "prompt", extra: { code: "prompt_not_found" } });
    throw new AppError("not_found", `Prompt '${name}' has no version ${version}`, { param: "version", extra: { code: "version_not_found" } });
  }
  return toVersionView(row, row.labels.map((l) => l.name).sort());
}

// ---------------------------------------------------------------- mutations

/** The data of a prompt.version_created event (lib/events), written in the save's transaction. */
const versionEvent = (prompt: string, version: number, commitMessage: string | null | undefined, author: string | null, labels: string[]) => ({
  prompt, version, commitMessage: commitMessage ?? null, author, labels: [...new Set(labels)].sort(),
});

export async function createPrompt(actor: Principal, input: unknown, ip?: string | null): Promise<VersionView & { name: string }> {
  const data = createPromptInput.parse(input);
  checkTemplates(data);
  for (const l of data.labels) assertMayMove(actor, ["production"], l);
  const author = actorOf(actor);
  const workspaceId = workspaceOf(actor);
  // Includes must resolve, and not come back to this prompt, when saved (they are checked again at render time: labels move).
  await composeContent(workspaceId, data.name, data);
  try {
    const view = await withAudit(actor, { action: "prompt.create", targetType: "prompt", ip }, async (tx) => {
      const p = await tx.prompt.create({ data: { workspaceId, name: data.name, description: data.description, tags: data.tags } });
      const v = await tx.promptVersion.create({
        data: { promptId: p.id, version: 1, ...contentData(data), commitMessage: data.commitMessage, authorId: author.actorId, authorEmail: author.actorEmail },
      });
      const labels = [LATEST_LABEL, ...data.labels];
      await recordEvent({ type: "prompt.version_created", workspaceId, data: versionEvent(p.name, 1, data.commitMessage, author.actorEmail, labels) }, tx);
      await setLabels(tx, { id: p.id, name: p.name, workspaceId }, v, labels, author.actorEmail);
      return { result: toVersionView(v, [...new Set(labels)].sort()), targetId: p.id, after: { name: p.name, version: 1, labels } };
    });
    await invalidatePrompt(workspaceId, data.name);
    return { ...view, name: data.name };
  } catch (e) {
    throw duplicateName(e, data.name);
  }
}

export async function createPromptVersion(actor: Principal, name: string, input: unknown, ip?: string | null): Promise<VersionView> {
  const data = createPromptVersionInput.parse(input);
  checkTemplates(data);
  const author = actorOf(actor);
  const workspaceId = workspaceOf(actor);
  await composeContent(workspaceId, name, data);
  const view = await withAudit(actor, { action: "prompt.version.create", targetType: "prompt", ip }, async (tx) => {
    // The lock serialises saves of one prompt: the next number is read and
    // written by one transaction at a time, so numbers never repeat or skip.
    const locked = await tx.$queryRaw<{ id: string; protectedLabels: string[] }[]>`
      SELECT "id", "protectedLabels" FROM "Prompt" WHERE "workspaceId" = ${workspaceId}::uuid AND "name" = ${name} FOR UPDATE`;
    const prompt = locked[0];
    if (!prompt) throw new AppError("not_found", `Prompt '${name}' not found`, { param: "prompt", extra: { code: "prompt_not_found" } });
    for (const l of data.labels) assertMayMove(actor, prompt.protectedLabels, l);
    const last = await tx.promptVersion.findFirst({
      where: { promptId: prompt.id },
      orderBy: { version: "desc" },
      select: { version: true, authorEmail: true, createdAt: true },
    });
    const latest = last?.version ?? 0;
    if (data.baseVersion != null && data.baseVersion !== latest) {
      const by = last?.authorEmail ? ` by ${last.authorEmail}` : "";
      throw new AppError(
        "conflict",
        `Version ${latest} was saved${by} after version ${data.baseVersion}, which your draft started from. Nothing was saved: reload, merge your changes and save again.`,
        { param: "baseVersion" },
      );
    }
    const v = await tx.promptVersion.create({
      data: { promptId: prompt.id, version: latest + 1, ...contentData(data), commitMessage: data.commitMessage, authorId: author.actorId, authorEmail: author.actorEmail },
    });
    const labels = [LATEST_LABEL, ...data.labels];
    for (const l of data.labels) await assertLabelGates({ workspaceId, prompt: name, label: l, toVersion: v.version, fromVersion: null }, tx);
    await tx.prompt.update({ where: { id: prompt.id }, data: { updatedAt: new Date() } });
    await recordEvent({ type: "prompt.version_created", workspaceId, data: versionEvent(name, v.version, data.commitMessage, author.actorEmail, labels) }, tx);
    await setLabels(tx, { id: prompt.id, name, workspaceId }, v, labels, author.actorEmail);
    return {
      result: toVersionView(v, [...new Set(labels)].sort()),
      targetId: prompt.id,
      after: { name, version: v.version, commitMessage: data.commitMessage, labels },
    };
  });
  await invalidatePrompt(workspaceOf(actor), name);
  return view;
}

/** Points a label at a version: how production is promoted and rolled back. */
export async function moveLabel(actor: Principal, name: string, label: string, input: unknown, ip?: string | null): Promise<LabelView> {
  const labelValue = labelName.parse(label);
  const { version } = moveLabelInput.parse(input);
  const view = await withAudit(actor, { action: "prompt.label.move", targetType: "prompt", ip }, async (tx) => {
    const prompt = await tx.prompt.findUnique({ where: { workspaceId_name: { workspaceId: workspaceOf(actor), name } }, select: { id: true, protectedLabels: true } });
    if (!prompt) throw new AppError("not_found", `Prompt '${name}' not found`, { param: "prompt", extra: { code: "prompt_not_found" } });
    assertMayMove(actor, prompt.protectedLabels, labelValue);
    const target = await tx.promptVersion.findUnique({ where: { promptId_version: { promptId: prompt.id, version } }, select: { id: true } });
    if (!target) throw new AppError("not_found", `Prompt '${name}' has no version ${version}`, { param: "version", extra: { code: "version_not_found" } });
    const before = await tx.promptLabel.findUnique({
      where: { promptId_name: { promptId: prompt.id, name: labelValue } },
      select: { version: { select: { version: true } } },
    });
    await assertLabelGates({ workspaceId: workspaceOf(actor), prompt: name, label: labelValue, toVersion: version, fromVersion: before?.version.version ?? null }, tx);
    const row = await tx.promptLabel.upsert({
      where: { promptId_name: { promptId: prompt.id, name: labelValue } },
      create: { promptId: prompt.id, name: labelValue, versionId: target.id },
      update: { versionId: target.id },
    });
    await recordEvent({
      type: "prompt.label_moved", workspaceId: workspaceOf(actor),
      data: { prompt: name, label: labelValue, fromVersion: before?.version.version ?? null, toVersion: version, movedBy: actorOf(actor).actorEmail },
    }, tx);
    return {
      result: { name: labelValue, version, protected: prompt.protectedLabels.includes(labelValue), updatedAt: row.updatedAt.toISOString() },
      targetId: prompt.id,
      before: { prompt: name, label: labelValue, version: before?.version.version ?? null },
      after: { prompt: name, label: labelValue, version },
    };
  });
  await invalidatePrompt(workspaceOf(actor), name);
  return view;
}

export async function deleteLabel(actor: Principal, name: string, label: string, ip?: string | null): Promise<void> {
  const labelValue = labelName.parse(label);
  await withAudit(actor, { action: "prompt.label.delete", targetType: "prompt", ip }, async (tx) => {
    const prompt = await tx.prompt.findUnique({ where: { workspaceId_name: { workspaceId: workspaceOf(actor), name } }, select: { id: true, protectedLabels: true } });
    if (!prompt) throw new AppError("not_found", `Prompt '${name}' not found`, { param: "prompt", extra: { code: "prompt_not_found" } });
    assertMayMove(actor, prompt.protectedLabels, labelValue);
    const row = await tx.promptLabel.findUnique({
      where: { promptId_name: { promptId: prompt.id, name: labelValue } },
      select: { id: true, version: { select: { version: true } } },
    });
    if (!row) throw new AppError("not_found", `Prompt '${name}' has no label '${labelValue}'`, { param: "label", extra: { code: "label_not_found" } });
    await tx.promptLabel.delete({ where: { id: row.id } });
    return { result: undefined, targetId: prompt.id, before: { prompt: name, label: labelValue, version: row.version.version } };
  });
  await invalidatePrompt(workspaceOf(actor), name);
}

export async function updatePrompt(actor: Principal, name: string, input: unknown, ip?: string | null): Promise<PromptDetail> {
  const data = updatePromptInput.parse(input);
  if (data.protectedLabels && !isAdminPrincipal(actor)) {
    throw new AppError("forbidden", "Only admins may change which labels are protected", { param: "protectedLabels" });
  }
  if (data.protectedLabels?.includes(LATEST_LABEL)) {
    throw new AppError("bad_request", "'latest' moves on every save and cannot be protected", { param: "protectedLabels" });
  }
  await withAudit(actor, { action: "prompt.update", targetType: "prompt", ip }, async (tx) => {
    const before = await tx.prompt.findUnique({ where: { workspaceId_name: { workspaceId: workspaceOf(actor), name } }, select: { id: true, description: true, tags: true, protectedLabels: true } });
    if (!before) throw new AppError("not_found", `Prompt '${name}' not found`, { param: "prompt", extra: { code: "prompt_not_found" } });
    const after = await tx.prompt.update({
      where: { id: before.id },
      data: { description: data.description, tags: data.tags, protectedLabels: data.protectedLabels ? [...new Set(data.protectedLabels)] : undefined },
      select: { description: true, tags: true, protectedLabels: true },
    });
    return { result: undefined, targetId: before.id, before: { ...before, id: undefined }, after };
  });
  await invalidatePrompt(workspaceOf(actor), name);
  return getPrompt(workspaceOf(actor), name);
}

// ------------------------------------------------------- global variables

export async function listGlobalVariables(workspaceId: string): Promise<GlobalVariableView[]> {
  const rows = await db.globalVariable.findMany({ where: { workspaceId }, orderBy: { name: "asc" } });
  return rows.map((r) => ({ name: r.name, value: r.value, description: r.description, updatedAt: r.updatedAt.toISOString() }));
}

export async function setGlobalVariable(actor: Principal, input: unknown, ip?: string | null): Promise<GlobalVariableView> {
  const data = globalVariableInput.parse(input);
  const row = await withAudit(actor, { action: "prompt.global.set", targetType: "globalVariable", ip }, async (tx) => {
    const workspaceId = workspaceOf(actor);
    const before = await tx.globalVariable.findUnique({ where: { workspaceId_name: { workspaceId, name: data.name } } });
    const r = await tx.globalVariable.upsert({
      where: { workspaceId_name: { workspaceId, name: data.name } },
      create: { workspaceId, name: data.name, value: json(data.value), description: data.description },
      update: { value: json(data.value), description: data.description },
    });
    return { result: r, targetId: data.name, before: before ? { value: before.value } : null, after: { value: r.value } };
  });
  await invalidateGlobals(workspaceOf(actor));
  return { name: row.name, value: row.value, description: row.description, updatedAt: row.updatedAt.toISOString() };
}

export async function deleteGlobalVariable(actor: Principal, name: string, ip?: string | null): Promise<void> {
  await withAudit(actor, { action: "prompt.global.delete", targetType: "globalVariable", ip }, async (tx) => {
    const key = { workspaceId_name: { workspaceId: workspaceOf(actor), name } };
    const before = await tx.globalVariable.findUnique({ where: key });
    if (!before) throw notFound(`Global variable '${name}'`);
    await tx.globalVariable.delete({ where: key });
    return { result: undefined, targetId: name, before: { value: before.value } };
  });
  await invalidateGlobals(workspaceOf(actor));
}
