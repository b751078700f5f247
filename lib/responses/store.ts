import "server-only";
import { config } from "@/lib/config";
import { AppError, json, type Principal } from "@/lib/core";
import { db, type Prisma } from "@/lib/db";
import type { BatchHook } from "@/lib/usage";

// Stored Responses API objects (store: true, OpenAI's default): read back by
// id, chained with previous_response_id, deleted, always by the API key that
// made them (any other key gets the same 404 as a missing id). Nothing here
// runs before the upstream unless the request names a previous response.

export type StoredResponse = {
  id: string;
  /** The Response object as the client received it. */
  response: Record<string, unknown>;
  /** The conversation before this response's output, as input items (the chain included). */
  items: unknown[];
};

const DAY_MS = 86_400_000;

/** Stores a finished response for `apiKeyId`, kept RESPONSES_RETENTION_DAYS. */
export async function saveResponse(apiKeyId: string, r: StoredResponse): Promise<void> {
  const now = Date.now();
  await db.storedResponse.create({
    data: {
      id: r.id,
      apiKeyId,
      response: r.response as Prisma.InputJsonValue,
      items: r.items as Prisma.InputJsonValue,
      createdAt: new Date(now),
      expiresAt: new Date(now + config().RESPONSES_RETENTION_DAYS * DAY_MS),
    },
  });
}

/** The key's own unexpired response, or null (missing, expired and another key's look the same). */
export async function loadResponse(apiKeyId: string, id: string): Promise<StoredResponse | null> {
  const row = await db.storedResponse.findFirst({ where: { id, apiKeyId, expiresAt: { gt: new Date() } } });
  if (!row) return null;
  return { id: row.id, response: row.response as Record<string, unknown>, items: row.items as unknown[] };
}

/** Deletes the key's own response; false when there was none to delete. */
export async function deleteResponse(apiKeyId: string, id: string): Promise<boolean> {
  const { count } = await db.storedResponse.deleteMany({ where: { id, apiKeyId } });
  return count > 0;
}

// The sweep rides on the usage writer's batches (as the request log's does): at most once a minute, so it
// costs one indexed DELETE now and then, and the first batch after a start sweeps what expired while down.
const SWEEP_EVERY_MS = 60_000;
const sweepState = globalThis as typeof globalThis & { __pgResponsesSweptAt?: number };

/** Settlement step (lib/gateway/settle.ts): deletes expired stored responses, now and then. */
export const sweepStoredResponses: BatchHook = async (client) => {
  const now = Date.now();
  if (now - (sweepState.__pgResponsesSweptAt ?? 0) < SWEEP_EVERY_MS) return;
  sweepState.__pgResponsesSweptAt = now;
  await client.query(`DELETE FROM "StoredResponse" WHERE "expiresAt" < now()`);
};

const keyIdOf = (p: Principal): string | null => (p.kind === "apiKey" && p.key.id ? p.key.id : null);
const missing = (id: string) => new AppError("not_found", `Response with id '${id}' not found.`, { param: "response_id", extra: { code: "response_not_found" } });

/** GET /api/v1/responses/{id}: the calling key's own stored response. */
export async function readResponse(principal: Principal, id: string): Promise<Response> {
  const keyId = keyIdOf(principal);
  const stored = keyId ? await loadResponse(keyId, id) : null;
  if (!stored) throw missing(id);
  return json(stored.response);
}

/** DELETE /api/v1/responses/{id}: deletes the calling key's own stored response. */
export async function removeResponse(principal: Principal, id: string): Promise<Response> {
  const keyId = keyIdOf(principal);
  if (!keyId || !(await deleteResponse(keyId, id))) throw missing(id);
  return json({ id, object: "response.deleted", deleted: true });
}
