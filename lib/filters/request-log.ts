import "server-only";
import { db, storableDeep } from "@/lib/db";
import type { BatchHook, UsageEventInput } from "@/lib/usage";
import { DEFAULT_WORKSPACE_ID, type Principal } from "@/lib/core";
import type { ChatMessage } from "@/lib/providers";
import { compileFilter } from "./compile";
import { filterConfig, piiDetectors } from "./schemas";
import { keyPolicyIfLoaded } from "./key-policy";

// Opt-in request/response logging per API key. Text is redacted with every PII
// detector (and the key's own terms) BEFORE it leaves the gateway, so nothing
// unredacted is ever stored. Rows are written in the usage batch's transaction
// and expire after the key's retention; expired rows are deleted as batches go by.

const redactor = compileFilter(filterConfig.parse({ pii: [...piiDetectors], replacement: "*" }))!;

function redact(text: string, extra?: (t: string) => string): string {
  const once = redactor.mask(text).text;
  return extra ? extra(once) : once;
}

/** What the usage writer stores for a key that logs (its `log` field, defined there). */
export type RequestLogEntry = NonNullable<UsageEventInput["log"]>;

/** The log entry for a finished call, or undefined when the key does not log. Never throws. */
export function requestLogEntry(principal: Principal, messages: ChatMessage[], responseText: string | null, status: number): RequestLogEntry | undefined {
  if (principal.kind !== "apiKey" || !principal.key.id) return undefined;
  const policy = keyPolicyIfLoaded(principal.key.id);
  if (!policy?.logRequests) return undefined;
  const own = policy.compiled && policy.compiled.detectors.length ? (t: string) => policy.compiled!.mask(t).text : undefined;
  const request = messages.map((m) => ({
    role: m.role,
    content: typeof m.content === "string" ? redact(m.content, own) : Array.isArray(m.content) ? m.content.map((p) => (p.type === "text" ? { type: "text", text: redact(p.text, own) } : { type: p.type })) : null,
  }));
  return { retentionDays: policy.logRetentionDays, status, request, response: responseText === null ? null : redact(responseText, own) };
}

let batches = 0;

/** Settlement step (lib/gateway/settle.ts): stores the request logs of a usage batch, in its transaction. */
export const writeRequestLogs: BatchHook = async (client, batch) => {
  const rows = batch.filter((e) => e.log);
  if (rows.length) {
    await client.query(
      `INSERT INTO "RequestLog" ("createdAt", "expiresAt", "apiKeyId", "completionId", model, status, request, response, "workspaceId")
       SELECT * FROM unnest($1::timestamptz[], $2::timestamptz[], $3::uuid[], $4::text[], $5::text[], $6::int[], $7::jsonb[], $8::jsonb[], $9::uuid[])`,
      [
        rows.map((e) => e.createdAt),
        rows.map((e) => new Date(e.createdAt.getTime() + e.log!.retentionDays * 86_400_000)),
        rows.map((e) => e.apiKeyId),
        rows.map((e) => e.completionId),
        rows.map((e) => e.servedModel ?? e.requestedModel),
        rows.map((e) => e.log!.status),
        rows.map((e) => JSON.stringify(storableDeep(e.log!.request))),
        rows.map((e) => JSON.stringify(storableDeep(e.log!.response))),
        rows.map((e) => e.workspaceId ?? DEFAULT_WORKSPACE_ID),
      ],
    );
  }
  // Retention: cheap, indexed, and only now and then.
  if (++batches % 50 === 0) await client.query(`DELETE FROM "RequestLog" WHERE "expiresAt" < now()`);
};

/** Newest first, for the admin-only viewer; only the logs of the workspace's own key. */
export async function listRequestLogs(workspaceId: string, apiKeyId: string, limit = 50) {
  return db.requestLog.findMany({ where: { apiKeyId, workspaceId, expiresAt: { gt: new Date() } }, orderBy: { createdAt: "desc" }, take: Math.min(Math.max(limit, 1), 200) });
}
