import "server-only";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { LRUCache } from "lru-cache";
import { db, ensureListening, isListening, isUuid, onInvalidate, pool, publishInvalidation, type DbClient } from "@/lib/db";
import { withAudit } from "@/lib/audit";
import { AppError, DEFAULT_WORKSPACE_ID, notFound, workspaceOf } from "@/lib/core";
import { config } from "@/lib/config";
import { logger } from "@/lib/observability";
import type { KeyIdentity, Principal } from "@/lib/core";
import { createApiKeyInput } from "./api-key-schemas";

// Keys look like `pgk_` + 40 base62 characters. The first 12 characters are the
// visible prefix (stored, shown, and used to find the row); only the SHA-256 of
// the whole key is stored.
const KEY_PREFIX = "pgk_";
const PREFIX_LEN = 12;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export function generateKey(): string {
  const bytes = randomBytes(40);
  let out = KEY_PREFIX;
  for (const b of bytes) out += ALPHABET[b % 62];
  return out;
}

export const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
export const prefixOf = (key: string) => key.slice(0, PREFIX_LEN);

const publicFields = {
  id: true, name: true, prefix: true, scopes: true, createdById: true, expiresAt: true,
  revokedAt: true, lastUsedAt: true, createdAt: true, cacheEnabled: true, workspaceId: true,
} as const;

/** Inserts a key with a known value (seed's INIT_API_KEY) or a fresh one. No audit: callers audit. */
export async function insertApiKey(
  input: { name: string; scopes?: string[]; expiresAt?: Date | null; createdById?: string | null; value?: string; workspaceId?: string },
  client: DbClient = db,
) {
  const data = createApiKeyInput.parse({ name: input.name, scopes: input.scopes, expiresAt: input.expiresAt });
  const key = input.value ?? generateKey();
  if (key.length < 20) throw new AppError("validation_error", "An API key must be at least 20 characters", { param: "value" });
  const row = await client.apiKey.create({
    data: {
      name: data.name,
      scopes: data.scopes,
      expiresAt: data.expiresAt ?? null,
      createdById: input.createdById ?? null,
      workspaceId: input.workspaceId ?? DEFAULT_WORKSPACE_ID,
      prefix: prefixOf(key),
      hash: sha256(key),
    },
    select: publicFields,
  });
  // This instance knows at once; the others hear of it from the insert trigger's NOTIFY at commit.
  notePrefix(row.prefix);
  return { key, row };
}

/** Creates a key; the full value is returned once and never again. */
export async function createApiKey(actor: Principal, input: unknown, ip?: string | null) {
  const data = createApiKeyInput.parse(input);
  const createdById = actor.kind === "user" ? actor.user.id : null;
  return withAudit(actor, { action: "apikey.create", targetType: "apiKey", ip }, async (tx) => {
    const { key, row } = await insertApiKey({ ...data, createdById, workspaceId: workspaceOf(actor) }, tx);
    return { result: { key, row }, targetId: row.id, after: row };
  });
}

export async function revokeApiKey(actor: Principal, id: string, ip?: string | null) {
  const row = await withAudit(actor, { action: "apikey.revoke", targetType: "apiKey", ip }, async (tx) => {
    const before = isUuid(id) ? await tx.apiKey.findFirst({ where: { id, workspaceId: workspaceOf(actor) }, select: publicFields }) : null;
    if (!before) throw notFound("API key");
    if (before.revokedAt) return { result: before, targetId: id, before, after: before };
    const after = await tx.apiKey.update({ where: { id }, data: { revokedAt: new Date() }, select: publicFields });
    return { result: after, targetId: id, before: { revokedAt: null }, after: { revokedAt: after.revokedAt } };
  });
  forgetKey(row.prefix);
  await publishInvalidation("apikeys", row.prefix).catch((err: unknown) => logger.warn({ err }, "could not publish key revocation"));
  return row;
}

const listedFields = { ...publicFields, createdBy: { select: { email: true } } };

/** The keys of one workspace. */
export async function listApiKeys(workspaceId: string) {
  return db.apiKey.findMany({ where: { workspaceId }, select: listedFields, orderBy: { createdAt: "desc" } });
}

/** One key of the workspace as the console lists it, or null (also for another workspace's key, and an id that is not a uuid). */
export async function getApiKey(workspaceId: string, id: string) {
  return isUuid(id) ? db.apiKey.findFirst({ where: { id, workspaceId }, select: listedFields }) : null;
}

export function keyStatus(k: { revokedAt: Date | null; expiresAt: Date | null }, now = new Date()): "active" | "revoked" | "expired" {
  if (k.revokedAt) return "revoked";
  if (k.expiresAt && k.expiresAt <= now) return "expired";
  return "active";
}

// --- verification -----------------------------------------------------------
// The hot path costs no database read, and neither does a made-up key.
//
// Issued prefixes: each instance holds the prefix of every key ever inserted
// (revoked and expired ones too; a prefix is 12 short characters). A trigger
// announces each insert over NOTIFY at commit, whichever way the row was
// written (migration 20261121131300), and the creating instance adds its own at
// once. While the set is *trusted* a prefix not in it is refused without a read,
// except for a trickle (TRUSTED_MISS_READS: 2 at once, then one every 2 s per
// instance): a key committed elsewhere is usable here on its first request even
// when its announcement is still on the way (it arrives milliseconds after the
// commit, but a client may be faster), while a flood of made-up keys costs at
// most that trickle. Trusted means: loaded after this process's LISTEN connection was up,
// with no "*" (a dropped LISTEN, notifications possibly lost) since. Every key
// committed before the load's snapshot is in its rows and every key committed
// after it is announced to a connection that was already listening. A "*"
// keeps the set (nothing in it became wrong) but stops trusting it until a
// reload that starts after LISTEN is back; the set is also reloaded every
// PREFIX_SET_RELOAD_MS as a backstop. Until trusted (the first load, a reload
// under way, LISTEN unavailable) an unknown prefix may be read, but at most
// MISS_READS_MAX such reads are in flight (beyond that: refused unread) and
// their answers are remembered for MISS_TTL_MS in a bounded LRU.
//
// Keys: per-instance LRU by prefix. Revoking evicts the entry on this instance
// at once and on the others through a NOTIFY (milliseconds). If that is lost,
// the entry is reloaded after API_KEY_CACHE_TTL_MS (default 10 s) in the
// background, so a request never waits on that reload (and the gateway keeps to
// one database round trip before the upstream).

const KEYS_MAX = 10_000;
const MISSES_MAX = 1_000;
const MISS_TTL_MS = 5_000;
const MISS_READS_MAX = 4;
const TRUSTED_MISS_READS = { burst: 2, everyMs: 2_000 };
const PREFIX_SET_RELOAD_MS = 60_000;
const PREFIX_SET_RETRY_MS = 5_000;
const LAST_USED_EVERY_MS = 60_000;

// The stored hash is kept decoded, so a check is one digest and one constant-time compare.
type CacheEntry = { hash: Buffer; identity: KeyIdentity; revoked: boolean; at: number };

type KeyState = {
  entries: LRUCache<string, CacheEntry>;
  /** Prefixes read and found to have no key: only while the prefix set is not trusted. */
  misses: LRUCache<string, true>;
  // Reads in flight, one per prefix. An eviction drops them too: a read that
  // started before a revocation may return the row as it was, so no request that
  // arrives after the eviction may join it, and its result is not cached.
  loading: Map<string, Promise<CacheEntry | null>>;
  missReads: number;
  /** Reads of unknown prefixes so far (every one, trusted or not): what made-up keys have cost this process. */
  missReadsTotal: number;
  /** Reads of unknown prefixes a trusted set may still spend (a token bucket). */
  trustedMissReads: { tokens: number; at: number };
  lastUsedWritten: Map<string, number>;
  prefixes: Set<string>;
  trusted: boolean;
  /** Bumped by every "*": a load that began before it cannot make the set trusted. */
  epoch: number;
  prefixLoad?: Promise<void>;
  /** A "*" arrived while a load was under way: load once more after it. */
  reloadAgain: boolean;
  /** When the set was last loaded, and the earliest next try after a failed or untrusted load. */
  loadedAt: number;
  retryAt: number;
  watching: boolean;
};
// One per process, shared by Next's separate bundles of this module.
const g = globalThis as typeof globalThis & { __pgApiKeys?: KeyState };
const state: KeyState = (g.__pgApiKeys ??= {
  entries: new LRUCache<string, CacheEntry>({ max: KEYS_MAX }),
  misses: new LRUCache<string, true>({ max: MISSES_MAX, ttl: MISS_TTL_MS }),
  loading: new Map(),
  missReads: 0,
  missReadsTotal: 0,
  trustedMissReads: { tokens: TRUSTED_MISS_READS.burst, at: 0 },
  lastUsedWritten: new Map(),
  prefixes: new Set(),
  trusted: false,
  epoch: 0,
  reloadAgain: false,
  loadedAt: 0,
  retryAt: 0,
  watching: false,
});

export function forgetKey(prefix?: string) {
  if (prefix) {
    state.entries.delete(prefix);
    state.misses.delete(prefix);
    state.loading.delete(prefix);
  } else {
    state.entries.clear();
    state.misses.clear();
    state.loading.clear();
  }
}

/** A key with this prefix exists (or is about to): let requests for it through to a read. */
function notePrefix(prefix: string) {
  state.prefixes.add(prefix);
  state.misses.delete(prefix);
}

/** What the verification caches hold, and their bounds (for tests and diagnostics). */
export function apiKeyCacheStats() {
  return {
    entries: state.entries.size,
    maxEntries: KEYS_MAX,
    misses: state.misses.size,
    maxMisses: MISSES_MAX,
    missReadsInFlight: state.missReads,
    missReadsTotal: state.missReadsTotal,
    maxMissReads: MISS_READS_MAX,
    prefixes: state.prefixes.size,
    trusted: state.trusted,
  };
}

function watch() {
  if (state.watching) return;
  state.watching = true;
  onInvalidate("apikeys", (prefix) => {
    if (prefix && prefix !== "*") {
      notePrefix(prefix);
      forgetKey(prefix);
      return;
    }
    forgetKey();
    state.epoch++;
    state.trusted = false;
    reloadPrefixes();
  });
  // A workspace's allowed models changed: cached keys carry the old list. The prefix set is unaffected.
  onInvalidate("workspaces", () => forgetKey());
  onInvalidate("apikeys.created", (prefix) => {
    // "*" also reaches the "apikeys" listener above, which handles it.
    if (prefix && prefix !== "*") notePrefix(prefix);
  });
}

function reloadPrefixes(): Promise<void> {
  if (state.prefixLoad) {
    state.reloadAgain = true;
    return state.prefixLoad;
  }
  const epoch = state.epoch;
  state.prefixLoad = (async () => {
    // LISTEN first: a key committed after the read below is then announced to us.
    await ensureListening().catch(() => {});
    const listening = isListening();
    const { rows } = await pool().query<{ prefix: string }>(`SELECT prefix FROM "ApiKey"`);
    // Added to, never replaced: a prefix announced while the read ran is kept.
    for (const r of rows) state.prefixes.add(r.prefix);
    state.loadedAt = Date.now();
    state.trusted = listening && isListening() && state.epoch === epoch;
    if (!state.trusted) state.retryAt = Date.now() + PREFIX_SET_RETRY_MS;
  })()
    .catch((err: unknown) => {
      state.retryAt = Date.now() + PREFIX_SET_RETRY_MS;
      logger.warn({ err }, "could not load the issued API key prefixes; unknown prefixes are read (a few at a time) meanwhile");
    })
    .finally(() => {
      state.prefixLoad = undefined;
      if (state.reloadAgain) {
        state.reloadAgain = false;
        void reloadPrefixes();
      }
    });
  return state.prefixLoad;
}

/**
 * The load to wait for before the first check, if any; later checks only start
 * the backstop or retry loads. Synchronous otherwise: the hot path takes no
 * extra turn of the event loop.
 */
function prefixesReady(): Promise<void> | undefined {
  watch();
  const now = Date.now();
  if (state.loadedAt === 0) {
    if (state.prefixLoad) return state.prefixLoad;
    return now >= state.retryAt ? reloadPrefixes() : undefined;
  }
  if (!state.prefixLoad && (state.trusted ? now - state.loadedAt > PREFIX_SET_RELOAD_MS : now >= state.retryAt)) void reloadPrefixes();
  return undefined;
}

function hashesEqual(x: Buffer, y: Buffer): boolean {
  return x.length === y.length && timingSafeEqual(x, y);
}

export type KeyCheck = { ok: true; principal: Principal } | { ok: false; reason: "unknown" | "revoked" | "expired" };
const UNKNOWN: KeyCheck = { ok: false, reason: "unknown" };

type KeyRow = {
  id: string; name: string; prefix: string; hash: string; scopes: string[]; expiresAt: Date | null; revokedAt: Date | null;
  cacheEnabled: boolean; workspaceId: string; workspaceAllowedModels: string[];
};

/** What a verified key carries through the gateway (its workspace included). */
export function keyIdentity(row: Omit<KeyRow, "hash" | "revokedAt">): KeyIdentity {
  return {
    id: row.id, name: row.name, prefix: row.prefix, scopes: row.scopes, expiresAt: row.expiresAt, cacheEnabled: row.cacheEnabled,
    workspace: { id: row.workspaceId, allowedModels: row.workspaceAllowedModels },
  };
}

/** One database read per prefix at a time, however many requests are waiting for it. `miss`: a prefix not in the set. */
function load(prefix: string, now: number, miss = false): Promise<CacheEntry | null> {
  const inFlight = state.loading.get(prefix);
  if (inFlight) return inFlight;
  if (miss) {
    state.missReads++;
    state.missReadsTotal++;
  }
  // The key and its workspace's model list in one round trip: the cached entry carries both.
  const pending: Promise<CacheEntry | null> = db
    .$queryRaw<KeyRow[]>`
      SELECT k."id", k."name", k."prefix", k."hash", k."scopes", k."expiresAt", k."revokedAt", k."cacheEnabled", k."workspaceId",
             w."allowedModels" AS "workspaceAllowedModels"
        FROM "ApiKey" k JOIN "Workspace" w ON w."id" = k."workspaceId"
       WHERE k."prefix" = ${prefix}`
    .then((rows) => rows[0] ?? null)
    .then((row): CacheEntry | null => {
      const current = state.loading.get(prefix) === pending;
      if (!row) {
        if (current) {
          state.entries.delete(prefix);
          state.misses.set(prefix, true);
        }
        return null;
      }
      const entry: CacheEntry = {
        hash: Buffer.from(row.hash, "hex"),
        revoked: row.revokedAt !== null,
        identity: keyIdentity(row),
        at: now,
      };
      state.prefixes.add(prefix);
      if (current) state.entries.set(prefix, entry);
      return entry;
    })
    .finally(() => {
      if (miss) state.missReads--;
      if (state.loading.get(prefix) === pending) state.loading.delete(prefix);
    });
  state.loading.set(prefix, pending);
  return pending;
}

function takeTrustedMissRead(now: number): boolean {
  const b = state.trustedMissReads;
  const earned = Math.floor((now - b.at) / TRUSTED_MISS_READS.everyMs);
  if (earned > 0) {
    b.tokens = Math.min(TRUSTED_MISS_READS.burst, b.tokens + earned);
    b.at = now;
  }
  if (b.tokens < 1) return false;
  b.tokens--;
  return true;
}

export async function verifyApiKey(key: string, now = Date.now()): Promise<KeyCheck> {
  if (key.length < 20 || key.length > 200) return UNKNOWN;
  const first = prefixesReady();
  if (first) await first;
  const prefix = prefixOf(key);
  const hash = createHash("sha256").update(key).digest();
  let entry: CacheEntry | null | undefined = state.entries.get(prefix);
  if (!entry) {
    const issued = state.prefixes.has(prefix);
    if (!issued) {
      // Never issued, as far as the set knows: refused without a read, but for the
      // trickle that lets a just-committed, not yet announced key through.
      if (state.misses.has(prefix)) return UNKNOWN;
      if (state.missReads >= MISS_READS_MAX && !state.loading.has(prefix)) return UNKNOWN;
      if (state.trusted && !state.loading.has(prefix) && !takeTrustedMissRead(now)) return UNKNOWN;
    }
    entry = await load(prefix, now, !issued);
    if (!entry) return UNKNOWN;
  } else if (now - entry.at > config().API_KEY_CACHE_TTL_MS) {
    const served = entry;
    load(prefix, now).catch((err: unknown) => {
      // Trusted for another TTL: while the database is down, not every request starts a read.
      served.at = now;
      logger.warn({ err }, "could not reload an API key; serving the cached entry");
    });
  }
  if (!hashesEqual(entry.hash, hash)) return UNKNOWN;
  if (entry.revoked) return { ok: false, reason: "revoked" };
  if (entry.identity.expiresAt && entry.identity.expiresAt.getTime() <= now) return { ok: false, reason: "expired" };
  touchLastUsed(entry.identity.id, now);
  return { ok: true, principal: { kind: "apiKey", key: entry.identity } };
}

// At most one write per key per minute per instance, off the request path.
function touchLastUsed(id: string, now: number) {
  const last = state.lastUsedWritten.get(id) ?? 0;
  if (now - last < LAST_USED_EVERY_MS) return;
  state.lastUsedWritten.set(id, now);
  db.apiKey
    .update({ where: { id }, data: { lastUsedAt: new Date(now) } })
    .catch((err: unknown) => logger.warn({ err, keyId: id }, "could not record API key last use"));
}

/** Opts a key's requests into the response cache (or out again). Every instance drops its cached view of the key. */
export async function setKeyCacheEnabled(actor: Principal, input: { id: string; enabled: boolean }, ip?: string | null) {
  const row = await withAudit(actor, { action: "apikey.cache", targetType: "apiKey", ip }, async (tx) => {
    const before = isUuid(input.id) ? await tx.apiKey.findFirst({ where: { id: input.id, workspaceId: workspaceOf(actor) }, select: publicFields }) : null;
    if (!before) throw notFound("API key");
    const after = await tx.apiKey.update({ where: { id: input.id }, data: { cacheEnabled: input.enabled === true }, select: publicFields });
    return { result: after, targetId: input.id, before: { cacheEnabled: before.cacheEnabled }, after: { cacheEnabled: after.cacheEnabled } };
  });
  forgetKey(row.prefix);
  await publishInvalidation("apikeys", row.prefix).catch((err: unknown) => logger.warn({ err }, "could not publish key change"));
  return row;
}
