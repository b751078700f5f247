import "server-only";
import type { Principal } from "@/lib/core";
import { createHash } from "node:crypto";
import { config } from "@/lib/config";
import { pool, storableDeep } from "@/lib/db";
import { logger } from "@/lib/observability";
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, FinishReason, ResponseToolCall, Usage } from "@/lib/providers";

// Opt-in exact-match response cache. A request opts in with
// `x-promptgate-cache: on`; by default only temperature-0 requests qualify
// (CACHE_ANY_TEMPERATURE=1 relaxes that). The key is the SHA-256 of the
// normalised request AND the API key id: entries are never shared between
// keys (key groups are not offered). Lookup is one statement (it also counts
// the hit); writes happen after the response is complete, off the client's path.

export const CACHE_HEADER = "x-promptgate-cache";

// Fields that do not change the answer: transport (stream, stream_options) and attribution (user, metadata).
const EXCLUDED = new Set(["stream", "stream_options", "user", "metadata"]);

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = canonical(x);
    }
    return out;
  }
  return v;
}

export function cacheKey(req: ChatCompletionRequest, apiKeyId: string, promptVersionId: string | null | undefined): string {
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(req)) if (!EXCLUDED.has(k) && v !== null && v !== undefined) body[k] = v;
  const normalised = JSON.stringify(canonical({ apiKeyId, promptVersionId: promptVersionId ?? null, body }));
  return createHash("sha256").update(normalised).digest("hex");
}

/** The cache applies to this call: requested, an API key is calling, and the temperature allows it. */
export function cacheEligible(req: ChatCompletionRequest): boolean {
  return config().CACHE_ANY_TEMPERATURE || req.temperature === 0;
}

/** One round trip: returns the live entry (and counts the hit) or null. */
export async function cacheLookup(key: string, apiKeyId: string): Promise<ChatCompletion | null> {
  try {
    const { rows } = await pool().query<{ response: ChatCompletion }>(
      `UPDATE "ResponseCache" SET "hits" = "hits" + 1 WHERE "key" = $1 AND "apiKeyId" = $2 AND "expiresAt" > now() RETURNING "response"`,
      [key, apiKeyId],
    );
    return rows[0]?.response ?? null;
  } catch (err) {
    // A cache that cannot be read is a miss, never a failed call.
    logger.warn({ err }, "response cache lookup failed");
    return null;
  }
}

const g = globalThis as typeof globalThis & { __pgCacheWrites?: number };
const PRUNE_EVERY = 50;

/** Stores a finished completion; fire-and-forget. Only stop/length completions qualify. */
export function cacheStore(key: string, apiKeyId: string, completion: ChatCompletion): void {
  const c = config();
  if (completion.choices.length === 0 || completion.choices.some((ch) => ch.finish_reason !== "stop" && ch.finish_reason !== "length")) return;
  const text = JSON.stringify(completion);
  const size = Buffer.byteLength(text);
  if (size > c.CACHE_MAX_ENTRY_BYTES) return;
  // An answer Postgres could store only altered (lib/db/storable.ts) is not cached: a hit must replay it exactly.
  if (storableDeep(completion) !== completion) return;
  const writes = (g.__pgCacheWrites = (g.__pgCacheWrites ?? 0) + 1);
  void (async () => {
    await pool().query(
      `INSERT INTO "ResponseCache" ("key", "apiKeyId", "model", "response", "createdAt", "expiresAt", "sizeBytes", "hits")
       VALUES ($1, $2, $3, $4::jsonb, now(), now() + make_interval(secs => $5), $6, 0)
       ON CONFLICT ("key") DO UPDATE SET "response" = EXCLUDED."response", "createdAt" = EXCLUDED."createdAt",
         "expiresAt" = EXCLUDED."expiresAt", "sizeBytes" = EXCLUDED."sizeBytes", "model" = EXCLUDED."model"`,
      [key, apiKeyId, completion.model, text, c.CACHE_TTL_SECONDS, size],
    );
    // The total cap is enforced now and then from the write path: expired rows go, then the oldest beyond the cap.
    if (writes % PRUNE_EVERY === 1) await pruneCache(c.CACHE_MAX_TOTAL_BYTES);
  })().catch((err) => logger.warn({ err }, "response cache write failed"));
}

export async function pruneCache(maxTotalBytes = config().CACHE_MAX_TOTAL_BYTES): Promise<void> {
  await pool().query(`DELETE FROM "ResponseCache" WHERE "expiresAt" <= now()`);
  await pool().query(
    `DELETE FROM "ResponseCache" WHERE "key" IN (
       SELECT "key" FROM (SELECT "key", sum("sizeBytes") OVER (ORDER BY "createdAt" DESC, "key") AS running FROM "ResponseCache") t
       WHERE running > $1)`,
    [maxTotalBytes],
  );
}

/** Rebuilds the final completion from the chunks a client was sent (text, tool calls, finish reasons, usage). */
export function chunkAssembler() {
  type Acc = { content: string | null; tools: ResponseToolCall[]; finish: FinishReason | null };
  const choices = new Map<number, Acc>();
  let head: ChatCompletionChunk | null = null;
  let usage: Usage | undefined;
  return {
    add(chunk: ChatCompletionChunk) {
      head ??= chunk;
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        let a = choices.get(c.index);
        if (!a) choices.set(c.index, (a = { content: null, tools: [], finish: null }));
        if (typeof c.delta.content === "string") a.content = (a.content ?? "") + c.delta.content;
        for (const t of c.delta.tool_calls ?? []) {
          const cur = (a.tools[t.index] ??= { id: t.id ?? "", type: "function", function: { name: "", arguments: "" } } as ResponseToolCall);
          if (t.id) cur.id = t.id;
          if (t.function?.name) cur.function.name += t.function.name;
          if (t.function?.arguments) cur.function.arguments += t.function.arguments;
        }
        if (c.finish_reason) a.finish = c.finish_reason;
      }
    },
    result(): ChatCompletion | null {
      if (!head) return null;
      return {
        id: head.id,
        object: "chat.completion",
        created: head.created,
        model: head.model,
        choices: [...choices.entries()].sort(([a], [b]) => a - b).map(([index, a]) => ({
          index,
          message: { role: "assistant", content: a.content, ...(a.tools.length ? { tool_calls: a.tools.filter(Boolean) } : {}) },
          finish_reason: a.finish,
        })),
        ...(usage ? { usage } : {}),
      };
    },
  };
}

/** Text pieces of about `size` characters, cut after whitespace where possible, for a natural replay. */
function pieces(text: string, size = 24): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    let end = Math.min(text.length, i + size);
    if (end < text.length) {
      const sp = text.lastIndexOf(" ", end);
      if (sp > i) end = sp + 1;
    }
    out.push(text.slice(i, end));
    i = end;
  }
  return out;
}

/**
 * A stored completion replayed as canonical chunks: a role chunk, content in
 * pieces, tool calls, the finish chunk, then the usage chunk (the ingress sends
 * it only when the client asked). Ids and first-chunk extras are the ingress's.
 */
export function replayChunks(stored: ChatCompletion): AsyncIterator<ChatCompletionChunk> {
  const created = Math.floor(Date.now() / 1000);
  const base = { id: stored.id, object: "chat.completion.chunk" as const, created, model: stored.model, system_fingerprint: stored.system_fingerprint ?? null };
  const chunks: ChatCompletionChunk[] = [];
  const push = (choices: ChatCompletionChunk["choices"], more: Record<string, unknown> = {}) => chunks.push({ ...base, choices, ...more });
  for (const ch of stored.choices) {
    push([{ index: ch.index, delta: { role: "assistant", content: "" }, finish_reason: null }]);
    for (const p of pieces(ch.message.content ?? "")) push([{ index: ch.index, delta: { content: p }, finish_reason: null }]);
    const tools = ch.message.tool_calls ?? [];
    if (tools.length) {
      push([{ index: ch.index, delta: { tool_calls: tools.map((t, i) => ({ index: i, id: t.id, type: "function" as const, function: { name: t.function.name, arguments: t.function.arguments } })) }, finish_reason: null }]);
    }
    push([{ index: ch.index, delta: {}, finish_reason: ch.finish_reason }]);
  }
  if (stored.usage) push([], { usage: stored.usage });
  let i = 0;
  return {
    next: async () => (i < chunks.length ? { done: false, value: chunks[i++]! } : { done: true, value: undefined }),
    return: async () => {
      i = chunks.length;
      return { done: true, value: undefined };
    },
  };
}

export type CacheHitRate = { apiKeyId: string | null; keyName: string | null; model: string; hits: number; calls: number };

/**
 * Hit rate per key and model over the last 24 h, from usage events. Calls that
 * did not ask for the cache are not recorded as such, so the rate is hits over
 * all successful calls of that key and model; only pairs with a hit are listed.
 */
/** The workspace's keys only: another team's key names are not shown. */
export async function cacheHitRates(workspaceId: string, limit = 10): Promise<CacheHitRate[]> {
  const { rows } = await pool().query<CacheHitRate>(
    `SELECT e."apiKeyId", k.name AS "keyName", e."requestedModel" AS model,
            (count(*) FILTER (WHERE e.cached))::int AS hits, count(*)::int AS calls
     FROM "UsageEvent" e LEFT JOIN "ApiKey" k ON k.id = e."apiKeyId"
     WHERE e."createdAt" > now() - interval '24 hours' AND e.status = 'ok' AND e."workspaceId" = $2::uuid
     GROUP BY e."apiKeyId", k.name, e."requestedModel"
     HAVING count(*) FILTER (WHERE e.cached) > 0
     ORDER BY hits DESC LIMIT $1`,
    [limit, workspaceId],
  );
  return rows;
}

/**
 * Whether a call asked for the cache: the request header decides when present
 * ("on" / "off"); otherwise the API key's own setting (off by default).
 */
export function wantsCache(principal: Principal, header: string | null): boolean {
  const h = header?.trim().toLowerCase();
  if (h === "on") return true;
  if (h === "off") return false;
  return principal.kind === "apiKey" && principal.key.cacheEnabled === true;
}
