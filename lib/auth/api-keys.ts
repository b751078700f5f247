import "server-only";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { db, isUuid, onInvalidate, publishInvalidation, type DbClient } from "@/lib/db";
import { withAudit } from "@/lib/audit";
import { AppError, notFound } from "@/lib/http/errors";
import { config } from "@/lib/config";
import { logger } from "@/lib/observability";
import type { KeyIdentity, Principal } from "./principal";
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
  revokedAt: true, lastUsedAt: true, createdAt: true, cacheEnabled: true,
} as const;

/** Inserts a key with a known value (seed's INIT_API_KEY) or a fresh one. No audit: callers audit. */
export async function insertApiKey(
  input: { name: string; scopes?: string[]; expiresAt?: Date | null; createdById?: string | null; value?: string },
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
      prefix: prefixOf(key),
      hash: sha256(key),
    },
    select: publicFields,
  });
  return { key, row };
}

/** Creates a key; the full value is returned once and never again. */
export async function createApiKey(actor: Principal, input: unknown, ip?: string | null) {
  const data = createApiKeyInput.parse(input);
  const createdById = actor.kind === "user" ? actor.user.id : null;
  return withAudit(actor, { action: "apikey.create", targetType: "apiKey", ip }, async (tx) => {
    const { key, row } = await insertApiKey({ ...data, createdById }, tx);
    return { result: { key, row }, targetId: row.id, after: row };
  });
}

export async function revokeApiKey(actor: Principal, id: string, ip?: string | null) {
  const row = await withAudit(actor, { action: "apikey.revoke", targetType: "apiKey", ip }, async (tx) => {
    const before = await tx.apiKey.findUnique({ where: { id }, select: publicFields });
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

export async function listApiKeys() {
  return db.apiKey.findMany({ select: listedFields, orderBy: { createdAt: "desc" } });
}

/** One key as the console lists it, or null (also for an id that is not a uuid). */
export async function getApiKey(id: string) {
  return isUuid(id) ? db.apiKey.findUnique({ where: { id }, select: listedFields }) : null;
}

export function keyStatus(k: { revokedAt: Date | null; expiresAt: Date | null }, now = new Date()): "active" | "revoked" | "expired" {
  if (k.revokedAt) return "revoked";
  if (k.expiresAt && k.expiresAt <= now) return "expired";
  return "active";
}

// --- verification -----------------------------------------------------------
// A per-instance cache keyed by prefix means the hot path costs no database
// lookup. Revoking evicts the entry on this instance at once and on the others
// through a LISTEN/NOTIFY message (milliseconds). If that message is lost, the
// entry is reloaded after API_KEY_CACHE_TTL_MS (default 10 s): in the
// background for a known key, so a request never waits on that reload (and the
// gateway keeps to one database round trip before the upstream), and inline
// for an unknown prefix, so a key created on another instance works at once.

// The stored hash is kept decoded, so a check is one digest and one constant-time compare.
type CacheEntry = { hash: Buffer; identity: KeyIdentity | null; revoked: boolean; at: number };
const cache = new Map<string, CacheEntry>();
// Reads in flight, one per prefix. An eviction drops them too: a read that
// started before a revocation may return the row as it was, so no request that
// arrives after the eviction may join it, and its result is not cached.
const loading = new Map<string, Promise<CacheEntry>>();
const lastUsedWritten = new Map<string, number>();
const LAST_USED_EVERY_MS = 60_000;

export function forgetKey(prefix?: string) {
  if (prefix) {
    cache.delete(prefix);
    loading.delete(prefix);
  } else {
    cache.clear();
    loading.clear();
  }
}

function hashesEqual(x: Buffer, y: Buffer): boolean {
  return x.length === y.length && timingSafeEqual(x, y);
}

const EMPTY = Buffer.alloc(0);

export type KeyCheck = { ok: true; principal: Principal } | { ok: false; reason: "unknown" | "revoked" | "expired" };

let listening = false;

/** One database read per prefix at a time, however many requests are waiting for it. */
function load(prefix: string, now: number): Promise<CacheEntry> {
  const inFlight = loading.get(prefix);
  if (inFlight) return inFlight;
  const pending: Promise<CacheEntry> = db.apiKey
    .findUnique({ where: { prefix } })
    .then((row): CacheEntry => {
      const entry: CacheEntry = row
        ? {
            hash: Buffer.from(row.hash, "hex"),
            revoked: row.revokedAt !== null,
            identity: { id: row.id, name: row.name, prefix: row.prefix, scopes: row.scopes, expiresAt: row.expiresAt, cacheEnabled: row.cacheEnabled },
            at: now,
          }
        : { hash: EMPTY, identity: null, revoked: false, at: now };
      if (loading.get(prefix) === pending) cache.set(prefix, entry);
      return entry;
    })
    .finally(() => {
      if (loading.get(prefix) === pending) loading.delete(prefix);
    });
  loading.set(prefix, pending);
  return pending;
}

export async function verifyApiKey(key: string, now = Date.now()): Promise<KeyCheck> {
  if (!listening) {
    listening = true;
    onInvalidate("apikeys", (prefix) => forgetKey(prefix === "*" || !prefix ? undefined : prefix));
  }
  if (key.length < 20 || key.length > 200) return { ok: false, reason: "unknown" };
  const prefix = prefixOf(key);
  const hash = createHash("sha256").update(key).digest();
  let entry = cache.get(prefix);
  const stale = entry !== undefined && now - entry.at > config().API_KEY_CACHE_TTL_MS;
  if (!entry || (stale && !entry.identity)) {
    entry = await load(prefix, now);
  } else if (stale) {
    const served = entry;
    load(prefix, now).catch((err: unknown) => {
      // Trusted for another TTL: while the database is down, not every request starts a read.
      served.at = now;
      logger.warn({ err }, "could not reload an API key; serving the cached entry");
    });
  }
  if (!entry.identity || !hashesEqual(entry.hash, hash)) return { ok: false, reason: "unknown" };
  if (entry.revoked) return { ok: false, reason: "revoked" };
  if (entry.identity.expiresAt && entry.identity.expiresAt.getTime() <= now) return { ok: false, reason: "expired" };
  touchLastUsed(entry.identity.id, now);
  return { ok: true, principal: { kind: "apiKey", key: entry.identity } };
}

// At most one write per key per minute per instance, off the request path.
function touchLastUsed(id: string, now: number) {
  const last = lastUsedWritten.get(id) ?? 0;
  if (now - last < LAST_USED_EVERY_MS) return;
  lastUsedWritten.set(id, now);
  db.apiKey
    .update({ where: { id }, data: { lastUsedAt: new Date(now) } })
    .catch((err: unknown) => logger.warn({ err, keyId: id }, "could not record API key last use"));
}

/** Opts a key's requests into the response cache (or out again). Every instance drops its cached view of the key. */
export async function setKeyCacheEnabled(actor: Principal, input: { id: string; enabled: boolean }, ip?: string | null) {
  const row = await withAudit(actor, { action: "apikey.cache", targetType: "apiKey", ip }, async (tx) => {
    const before = await tx.apiKey.findUnique({ where: { id: input.id }, select: publicFields });
    if (!before) throw notFound("API key");
    const after = await tx.apiKey.update({ where: { id: input.id }, data: { cacheEnabled: input.enabled === true }, select: publicFields });
    return { result: after, targetId: input.id, before: { cacheEnabled: before.cacheEnabled }, after: { cacheEnabled: after.cacheEnabled } };
  });
  forgetKey(row.prefix);
  await publishInvalidation("apikeys", row.prefix).catch((err: unknown) => logger.warn({ err }, "could not publish key change"));
  return row;
}
