import "server-only";
import { db, Prisma } from "@/lib/db";
import { recordAudit } from "@/lib/audit";
import { workspaceOf, type Principal } from "@/lib/core";
import { AppError } from "@/lib/core";
import { flushUsage } from "@/lib/usage";
import { feedbackInput } from "./schemas";

// Feedback on completions. Invariants:
// - one value per (completion, name): a repeat overwrites value, comment and
//   metadata (last write wins) through one upsert on that unique key;
// - the completion must exist (404) and an API key may rate only completions
//   it made itself (403); console users (editor+) may rate any completion of
//   their workspace; another workspace's completion is not found (404, never 403);
// - usage events reach the table in batches, so a completion answered a moment
//   ago may not be stored yet: this instance flushes its own queue, and a miss
//   is re-checked for about one flush interval of another instance.

export type FeedbackView = {
  completionId: string;
  name: string;
  value: number;
  comment: string | null;
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
};

const RECHECK_MS = [150, 300, 600];

async function completionOwner(completionId: string): Promise<{ apiKeyId: string | null; workspaceId: string } | null> {
  const find = () => db.usageEvent.findUnique({ where: { completionId }, select: { apiKeyId: true, workspaceId: true } });
  let row = await find();
  if (row) return row;
  await flushUsage(2_000).catch(() => {});
  for (const wait of [0, ...RECHECK_MS]) {
    if (wait) await new Promise((r) => setTimeout(r, wait));
    row = await find();
    if (row) return row;
  }
  return null;
}

export async function recordFeedback(principal: Principal, input: unknown, ip?: string | null): Promise<FeedbackView> {
  const data = feedbackInput.parse(input);
  const owner = await completionOwner(data.completion_id);
  if (!owner || owner.workspaceId !== workspaceOf(principal)) {
    throw new AppError("not_found", `Completion '${data.completion_id}' not found`, { param: "completion_id", extra: { code: "completion_not_found" } });
  }
  if (principal.kind === "apiKey" && owner.apiKeyId !== principal.key.id) {
    throw new AppError("forbidden", "This API key may only rate completions it made", { param: "completion_id" });
  }
  const fields = {
    value: data.value,
    comment: data.comment ?? null,
    metadata: (data.metadata ?? {}) as Prisma.InputJsonValue,
    apiKeyId: principal.kind === "apiKey" ? principal.key.id : null,
    userId: principal.kind === "user" ? principal.user.id : null,
  };
  const write = async (client: Prisma.TransactionClient | typeof db) =>
    client.feedback.upsert({
      where: { completionId_name: { completionId: data.completion_id, name: data.name } },
      create: { completionId: data.completion_id, name: data.name, workspaceId: owner.workspaceId, ...fields },
      update: fields,
    });
  // Feedback from apps is data, not configuration: only a person's hand-entered value is audited.
  const row =
    principal.kind === "user"
      ? await db.$transaction(async (tx) => {
          const r = await write(tx);
          await recordAudit(principal, { action: "feedback.record", targetType: "completion", targetId: data.completion_id, after: { name: data.name, value: data.value }, ip }, tx);
          return r;
        })
      : await write(db);
  return {
    completionId: row.completionId,
    name: row.name,
    value: row.value,
    comment: row.comment,
    metadata: row.metadata as Record<string, unknown>,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function feedbackFor(workspaceId: string, completionId: string): Promise<FeedbackView[]> {
  const rows = await db.feedback.findMany({ where: { completionId, workspaceId }, orderBy: { name: "asc" } });
  return rows.map((row) => ({
    completionId: row.completionId, name: row.name, value: row.value, comment: row.comment,
    metadata: row.metadata as Record<string, unknown>, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString(),
  }));
}
