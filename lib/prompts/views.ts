import "server-only";
import type { Prisma } from "@/lib/db";
import type { ModelConfig, PromptMessage, VariableDeclaration, VersionView } from "./schemas";

type VersionRow = {
  id: string; version: number; type: "chat" | "text"; messages: Prisma.JsonValue | null; text: string | null;
  variables: Prisma.JsonValue; config: Prisma.JsonValue; commitMessage: string; authorEmail: string | null; createdAt: Date;
};

/** A version row as the API and the console see it. */
export function toVersionView(row: VersionRow, labels: string[] = []): VersionView {
  return {
    id: row.id,
    version: row.version,
    type: row.type,
    messages: row.type === "chat" ? ((row.messages ?? []) as PromptMessage[]) : null,
    text: row.type === "text" ? (row.text ?? "") : null,
    variables: (row.variables ?? []) as VariableDeclaration[],
    config: (row.config ?? {}) as ModelConfig,
    commitMessage: row.commitMessage,
    authorEmail: row.authorEmail,
    createdAt: row.createdAt.toISOString(),
    labels,
  } as VersionView;
}
