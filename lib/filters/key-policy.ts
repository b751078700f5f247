import "server-only";
import { db, isUuid, onInvalidate, publishInvalidation } from "@/lib/db";
import { withAudit } from "@/lib/audit";
import type { Principal } from "@/lib/core";
import { AppError, notFound, workspaceOf } from "@/lib/core";
import { config } from "@/lib/config";
import { logger } from "@/lib/observability";
import { compileFilter, compileMerged, type CompiledFilter } from "./compile";
import { filterConfig, isNoopFilter, type FilterConfig } from "./schemas";

// Per-key content policy (filters, request logging). The gateway reads it on
// every call, so the whole table lives in memory: loaded once, refreshed in the
// background when older than API_KEY_CACHE_TTL_MS, and dropped at once on this
// and other instances by a NOTIFY when a policy changes. Once loaded, a failed
// reload (the database is down) serves the previous view, trusted for another
// TTL, so an outage neither blocks calls nor starts a read per call (faults #14.3).

export type KeyPolicy = {
  apiKeyId: string;
  filters: FilterConfig;
  compiled: CompiledFilter | null;
  logRequests: boolean;
  logRetentionDays: number;
};

// `at` 0 means never loaded or invalidated: the next call waits for a fresh load.
type State = { byKey: Map<string, KeyPolicy>; at: number; loading: Promise<void> | null; listening: boolean; loadedOnce?: boolean };
const g = globalThis as typeof globalThis & { __promptgateKeyPolicy?: State };
const state: State = (g.__promptgateKeyPolicy ??= { byKey: new Map(), at: 0, loading: null, listening: false });

function load(): Promise<void> {
  state.loading ??= (async () => {
    try {
      const rows = await db.apiKeyPolicy.findMany();
      const next = new Map<string, KeyPolicy>();
      for (const r of rows) {
        const parsed = filterConfig.safeParse(r.filters);
        const filters = parsed.success ? parsed.data : filterConfig.parse({});
        if (!parsed.success) logger.warn({ apiKeyId: r.apiKeyId }, "ignoring an invalid stored filter configuration");
        next.set(r.apiKeyId, { apiKeyId: r.apiKeyId, filters, compiled: compileFilter(filters), logRequests: r.logRequests, logRetentionDays: r.logRetentionDays });
      }
      state.byKey = next;
      state.at = Date.now();
      state.loadedOnce = true;
    } finally {
      state.loading = null;
    }
  })();
  return state.loading;
}

/** The policy as already loaded (the gateway loaded it for filtering earlier in the same call). */
export function keyPolicyIfLoaded(apiKeyId: string): KeyPolicy | null {
  return state.byKey.get(apiKeyId) ?? null;
}

/** The key's policy, or null when it has none. No database round trip once loaded. */
export async function keyPolicy(apiKeyId: string): Promise<KeyPolicy | null> {
  if (!state.listening) {
    state.listening = true;
    onInvalidate("keypolicy", () => {
      state.at = 0;
    });
  }
  if (state.at === 0) {
    await load().catch((err: unknown) => {
      // Fail closed until the policies have been read once; afterwards serve the last good view.
      if (!state.loadedOnce) throw new AppError("service_unavailable", "Content policies are not available yet; try again shortly");
      state.at = Date.now();
      logger.warn({ err }, "could not reload key policies; serving the previous ones");
    });
  }
  else if (Date.now() - state.at > config().API_KEY_CACHE_TTL_MS) {
    // Serve the current view and refresh behind the request.
    load().catch((err: unknown) => {
      state.at = Date.now();
      logger.warn({ err }, "could not refresh key policies; serving the previous ones");
    });
  }
  return state.byKey.get(apiKeyId) ?? null;
}

const merged = new Map<string, CompiledFilter | null>();

/**
 * The filter for one gateway call: the key's, merged with any extra
 * configuration the caller brings (a prompt's). Null means no filtering at all.
 */
export async function resolveFilter(principal: Principal, extra?: FilterConfig | null): Promise<CompiledFilter | null> {
  const keyId = principal.kind === "apiKey" && principal.key.id ? principal.key.id : null;
  const policy = keyId ? await keyPolicy(keyId) : null;
  if (!extra || (isNoopFilter(extra) && extra.request === "off")) return policy?.compiled ?? null;
  const cacheKey = JSON.stringify([policy?.filters ?? null, extra]);
  let f = merged.get(cacheKey);
  if (f === undefined) {
    f = compileMerged([policy?.filters, extra]);
    if (merged.size >= 256) merged.delete(merged.keys().next().value!);
    merged.set(cacheKey, f);
  }
  return f;
}

export async function getKeyPolicy(apiKeyId: string) {
  const row = await db.apiKeyPolicy.findUnique({ where: { apiKeyId } });
  const parsed = filterConfig.safeParse(row?.filters ?? {});
  return {
    filters: parsed.success ? parsed.data : filterConfig.parse({}),
    logRequests: row?.logRequests ?? false,
    logRetentionDays: row?.logRetentionDays ?? 30,
  };
}

/** Replaces a key's filter configuration (audited). */
export async function setKeyFilters(actor: Principal, apiKeyId: string, input: unknown, ip?: string | null): Promise<FilterConfig> {
  const filters = filterConfig.parse(input);
  const result = await withAudit(actor, { action: "apikey.filters.update", targetType: "apiKey", ip }, async (tx) => {
    // Another workspace's key is not found: the id reveals nothing.
    const key = isUuid(apiKeyId) ? await tx.apiKey.findFirst({ where: { id: apiKeyId, workspaceId: workspaceOf(actor) }, select: { id: true } }) : null;
    if (!key) throw notFound("API key");
    const before = await tx.apiKeyPolicy.findUnique({ where: { apiKeyId } });
    await tx.apiKeyPolicy.upsert({
      where: { apiKeyId },
      create: { apiKeyId, filters },
      update: { filters },
    });
    // Terms can themselves be sensitive: the audit entry records counts, not the words.
    const summary = (f: unknown) => {
      const p = filterConfig.safeParse(f ?? {});
      return p.success ? { terms: p.data.terms.length, wholeWord: p.data.wholeWord, pii: p.data.pii, request: p.data.request, segments: p.data.segments } : null;
    };
    return { result: filters, targetId: apiKeyId, before: summary(before?.filters), after: summary(filters) };
  });
  await invalidate();
  return result;
}

/** Turns request/response logging for a key on or off (audited). */
export async function setKeyLogging(actor: Principal, apiKeyId: string, input: { enabled: boolean; retentionDays: number }, ip?: string | null) {
  const days = Math.trunc(input.retentionDays);
  if (!(days >= 1 && days <= 365)) throw new AppError("validation_error", "Retention must be between 1 and 365 days", { param: "retentionDays" });
  await withAudit(actor, { action: "apikey.logging.update", targetType: "apiKey", ip }, async (tx) => {
    // Another workspace's key is not found: the id reveals nothing.
    const key = isUuid(apiKeyId) ? await tx.apiKey.findFirst({ where: { id: apiKeyId, workspaceId: workspaceOf(actor) }, select: { id: true } }) : null;
    if (!key) throw notFound("API key");
    const before = await tx.apiKeyPolicy.findUnique({ where: { apiKeyId } });
    await tx.apiKeyPolicy.upsert({
      where: { apiKeyId },
      create: { apiKeyId, filters: {}, logRequests: input.enabled, logRetentionDays: days },
      update: { logRequests: input.enabled, logRetentionDays: days },
    });
    return { result: null, targetId: apiKeyId, before: before ? { logRequests: before.logRequests, logRetentionDays: before.logRetentionDays } : null, after: { logRequests: input.enabled, logRetentionDays: days } };
  });
  await invalidate();
}

async function invalidate() {
  state.at = 0;
  await load().catch(() => {});
  await publishInvalidation("keypolicy", "*").catch((err: unknown) => logger.warn({ err }, "could not publish key policy change"));
}
