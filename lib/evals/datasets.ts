import "server-only";
import { withAudit } from "@/lib/audit";
import { AppError, workspaceOf, type Principal } from "@/lib/core";
import { db, type DbClient, type Prisma } from "@/lib/db";
import { parseUpload } from "./parse";
import { addRowsInput, createDatasetInput, importLogsInput, updateDatasetInput, uploadInput, type DatasetRow } from "./schemas";

// Datasets of the principal's workspace. A version is immutable: uploads and rows added by hand make a
// new version (the latest's rows plus the new ones, or the new ones instead), version = latest + 1 in
// the same transaction, so two writers cannot make the same number (the unique index answers 409).
// Another workspace's dataset is 404.

export type DatasetView = {
  id: string; name: string; description: string; createdAt: string; updatedAt: string;
  latestVersion: number | null; rowCount: number;
};
export type DatasetVersionView = { id: string; datasetId: string; version: number; rowCount: number; source: string; createdAt: string; rows: DatasetRow[] };

type DatasetWithLatest = Prisma.DatasetGetPayload<{ include: { versions: { select: { version: true; rowCount: true } } } }>;
const latestOnly = { versions: { select: { version: true, rowCount: true }, orderBy: { version: "desc" as const }, take: 1 } };

function view(d: DatasetWithLatest): DatasetView {
  const v = d.versions[0];
  return {
    id: d.id, name: d.name, description: d.description, createdAt: d.createdAt.toISOString(), updatedAt: d.updatedAt.toISOString(),
    latestVersion: v?.version ?? null, rowCount: v?.rowCount ?? 0,
  };
}

const notFound = (id: string) => new AppError("not_found", `Dataset ${id} not found`);

async function findOwn(actor: Principal, id: string, client: DbClient = db) {
  const d = await client.dataset.findFirst({ where: { id, workspaceId: workspaceOf(actor) }, include: latestOnly });
  if (!d) throw notFound(id);
  return d;
}

export async function listDatasets(actor: Principal): Promise<DatasetView[]> {
  const rows = await db.dataset.findMany({ where: { workspaceId: workspaceOf(actor) }, include: latestOnly, orderBy: { createdAt: "desc" } });
  return rows.map(view);
}

export async function getDataset(actor: Principal, id: string): Promise<DatasetView & { versions: Omit<DatasetVersionView, "rows">[] }> {
  const d = await findOwn(actor, id);
  const versions = await db.datasetVersion.findMany({ where: { datasetId: id }, orderBy: { version: "desc" }, select: { id: true, datasetId: true, version: true, rowCount: true, source: true, createdAt: true } });
  return { ...view(d), versions: versions.map((v) => ({ ...v, createdAt: v.createdAt.toISOString() })) };
}

/** One version with its rows; the latest when `version` is omitted. */
export async function getDatasetVersion(actor: Principal, id: string, version?: number): Promise<DatasetVersionView> {
  await findOwn(actor, id);
  const v = await db.datasetVersion.findFirst({ where: { datasetId: id, ...(version ? { version } : {}) }, orderBy: { version: "desc" } });
  if (!v) throw new AppError("not_found", version ? `Dataset ${id} has no version ${version}` : `Dataset ${id} has no rows yet`);
  return { id: v.id, datasetId: v.datasetId, version: v.version, rowCount: v.rowCount, source: v.source, createdAt: v.createdAt.toISOString(), rows: v.rows as unknown as DatasetRow[] };
}

async function appendVersion(tx: DbClient, datasetId: string, rows: DatasetRow[], replace: boolean, source: string) {
  const latest = await tx.datasetVersion.findFirst({ where: { datasetId }, orderBy: { version: "desc" } });
  const all = replace || !latest ? rows : [...(latest.rows as unknown as DatasetRow[]), ...rows];
  const v = await tx.datasetVersion.create({
    data: { datasetId, version: (latest?.version ?? 0) + 1, rows: all as unknown as Prisma.InputJsonValue, rowCount: all.length, source },
  });
  await tx.dataset.update({ where: { id: datasetId }, data: { updatedAt: new Date() } });
  return v;
}

export async function createDataset(actor: Principal, input: unknown, ip?: string | null): Promise<DatasetView> {
  const body = createDatasetInput.parse(input);
  const workspaceId = workspaceOf(actor);
  return withAudit(actor, { action: "dataset.create", targetType: "dataset", ip }, async (tx) => {
    if (await tx.dataset.findFirst({ where: { workspaceId, name: body.name } })) throw new AppError("conflict", `A dataset named '${body.name}' already exists`, { param: "name" });
    const d = await tx.dataset.create({ data: { workspaceId, name: body.name, description: body.description } });
    if (body.rows?.length) await appendVersion(tx, d.id, body.rows, true, "manual");
    const out = await findOwn(actor, d.id, tx);
    return { result: view(out), targetId: d.id, after: { name: d.name, rows: body.rows?.length ?? 0 } };
  });
}

export async function updateDataset(actor: Principal, id: string, input: unknown, ip?: string | null): Promise<DatasetView> {
  const body = updateDatasetInput.parse(input);
  return withAudit(actor, { action: "dataset.update", targetType: "dataset", ip }, async (tx) => {
    const before = await findOwn(actor, id, tx);
    if (body.name && body.name !== before.name && (await tx.dataset.findFirst({ where: { workspaceId: before.workspaceId, name: body.name } }))) {
      throw new AppError("conflict", `A dataset named '${body.name}' already exists`, { param: "name" });
    }
    await tx.dataset.update({ where: { id }, data: body });
    const after = await findOwn(actor, id, tx);
    return { result: view(after), targetId: id, before: { name: before.name, description: before.description }, after: body };
  });
}

/** Deletes the dataset, its versions and the runs on them. */
export async function deleteDataset(actor: Principal, id: string, ip?: string | null): Promise<void> {
  await withAudit(actor, { action: "dataset.delete", targetType: "dataset", ip }, async (tx) => {
    const d = await findOwn(actor, id, tx);
    await tx.dataset.delete({ where: { id } });
    return { result: undefined, targetId: id, before: { name: d.name } };
  });
}

/** Rows by hand: a new version. */
export async function addDatasetRows(actor: Principal, id: string, input: unknown, ip?: string | null): Promise<Omit<DatasetVersionView, "rows">> {
  const body = addRowsInput.parse(input);
  return newVersion(actor, id, body.rows, body.replace, "manual", ip);
}

/**
 * A CSV or JSONL upload: a new version, or, when any row is invalid, nothing and a 400 whose
 * `issues` name each bad row by its line.
 */
export async function uploadDatasetRows(actor: Principal, id: string, input: unknown, ip?: string | null): Promise<Omit<DatasetVersionView, "rows">> {
  const body = uploadInput.parse(input);
  await findOwn(actor, id);
  const parsed = parseUpload(body.format, body.content);
  if (parsed.errors.length) {
    const first = parsed.errors[0]!;
    throw new AppError("validation_error", `${parsed.errors.length === 1 ? "A row is" : `${parsed.errors.length} rows are`} invalid; the first, line ${first.line}: ${first.message}`, {
      // `issues` is what the error body carries of the details: one per bad row, named by its line.
      param: "content", extra: { issues: parsed.errors.map((e) => ({ path: `line ${e.line}`, message: e.message, line: e.line })) },
    });
  }
  return newVersion(actor, id, parsed.rows, body.replace, "upload", ip);
}

export type LogImportView = Omit<DatasetVersionView, "rows"> & { imported: number; skipped: { requestLogId: string; reason: string }[] };

/**
 * Rows from a key's request logs (lib/filters), newest first: a new version (source "request_logs").
 * The key must be the workspace's own (another workspace's key is 404, like its datasets); logs are
 * read only in the caller's workspace. Logs whose request or response cannot be read are skipped and
 * reported; none at all in the range is a 400 that says logging is opt-in.
 */
export async function importRowsFromLogs(actor: Principal, id: string, input: unknown, ip?: string | null): Promise<LogImportView> {
  const body = importLogsInput.parse(input);
  const workspaceId = workspaceOf(actor);
  await findOwn(actor, id);
  if (!(await db.apiKey.findFirst({ where: { id: body.apiKeyId, workspaceId }, select: { id: true } }))) {
    throw new AppError("not_found", `API key ${body.apiKeyId} not found`, { param: "apiKeyId" });
  }
  const logs = await db.requestLog.findMany({
    where: {
      apiKeyId: body.apiKeyId, workspaceId, status: body.status, expiresAt: { gt: new Date() },
      ...(body.since || body.until ? { createdAt: { ...(body.since ? { gte: new Date(body.since) } : {}), ...(body.until ? { lte: new Date(body.until) } : {}) } } : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: body.limit,
  });
  if (!logs.length) throw new AppError("bad_request", "There are no request logs for this key in that range; logging is opt-in per key (its policy's request logging)", { param: "apiKeyId" });
  const rows: DatasetRow[] = [];
  const skipped: LogImportView["skipped"] = [];
  for (const log of logs) {
    const r = rowFromLog(log);
    if (typeof r === "string") skipped.push({ requestLogId: String(log.id), reason: r });
    else rows.push(r);
  }
  if (!rows.length) {
    throw new AppError("bad_request", `None of the ${logs.length} request logs could be read; the first: ${skipped[0]!.reason}`, { param: "apiKeyId", extra: { issues: skipped.map((s) => ({ path: `requestLog ${s.requestLogId}`, message: s.reason })) } });
  }
  const v = await newVersion(actor, id, rows, body.replace, "request_logs", ip, { apiKeyId: body.apiKeyId, skipped: skipped.length });
  return { ...v, imported: rows.length, skipped };
}

/** The workspace's keys that log requests: the console's choice of where to import rows from. */
export async function loggingKeys(actor: Principal): Promise<{ id: string; name: string }[]> {
  const policies = await db.apiKeyPolicy.findMany({ where: { logRequests: true }, select: { apiKeyId: true } });
  if (!policies.length) return [];
  return db.apiKey.findMany({ where: { id: { in: policies.map((p) => p.apiKeyId) }, workspaceId: workspaceOf(actor) }, select: { id: true, name: true }, orderBy: { name: "asc" } });
}

type LoggedRequest = { id: bigint; completionId: string | null; model: string; createdAt: Date; request: unknown; response: unknown };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A message's text: a string, or the text parts of a content array; null when it has none. */
function textOf(content: unknown): string | null {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return null;
  const parts = content.filter((p): p is { text: string } => isRecord(p) && typeof p.text === "string").map((p) => p.text);
  return parts.length ? parts.join("") : null;
}

/**
 * The assistant text of a logged response. The logger stores the redacted text itself; the provider
 * shapes (OpenAI chat, Anthropic messages, Responses) are read too, for logs written by other means.
 * `null` is a call without a response (a failed call); `undefined` is a response that cannot be read.
 */
function responseText(response: unknown): string | null | undefined {
  if (response === null || typeof response === "string") return response;
  if (!isRecord(response)) return undefined;
  if (Array.isArray(response.choices)) {
    const c0 = response.choices[0];
    return isRecord(c0) && isRecord(c0.message) ? (textOf(c0.message.content) ?? undefined) : undefined;
  }
  if (typeof response.output_text === "string") return response.output_text;
  if (Array.isArray(response.output)) {
    const texts = response.output.flatMap((o) => (isRecord(o) && o.type === "message" ? [textOf(o.content)] : [])).filter((t): t is string => t !== null);
    return texts.length ? texts.join("") : undefined;
  }
  if (Array.isArray(response.content)) return textOf(response.content) ?? undefined;
  return undefined;
}

/** One dataset row from a log, or why it cannot be one. */
function rowFromLog(log: LoggedRequest): DatasetRow | string {
  // The logger stores the messages; a log that also carries the /api/completion variables uses those.
  const req = log.request;
  const messages = Array.isArray(req) ? req : isRecord(req) && Array.isArray(req.messages) ? req.messages : null;
  const vars = isRecord(req) && isRecord(req.variables) ? req.variables : null;
  if (!messages && !vars) return "the request is not a list of messages";
  const expected = responseText(log.response);
  if (expected === undefined) return "the response has no assistant text";
  const metadata: Record<string, unknown> = {
    source: "request_log", requestLogId: String(log.id), completionId: log.completionId, model: log.model, createdAt: log.createdAt.toISOString(),
  };
  if (vars) return { variables: vars, expected, metadata: messages ? { ...metadata, messages } : metadata };
  const lastUser = [...messages!].reverse().find((m) => isRecord(m) && m.role === "user");
  const input = lastUser ? textOf((lastUser as Record<string, unknown>).content) : null;
  if (input === null) return "the request has no user message text";
  return { variables: { input }, expected, metadata: { ...metadata, messages } };
}

async function newVersion(actor: Principal, id: string, rows: DatasetRow[], replace: boolean, source: string, ip?: string | null, extra?: Record<string, unknown>) {
  return withAudit(actor, { action: "dataset.version", targetType: "dataset", ip }, async (tx) => {
    await findOwn(actor, id, tx);
    const v = await appendVersion(tx, id, rows, replace, source);
    return {
      result: { id: v.id, datasetId: id, version: v.version, rowCount: v.rowCount, source: v.source, createdAt: v.createdAt.toISOString() },
      targetId: id, after: { version: v.version, added: rows.length, replace, source, ...extra },
    };
  });
}
