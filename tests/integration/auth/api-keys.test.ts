import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { db, closeDb } from "@/lib/db";
import { config } from "@/lib/config";
import { createApiKey, forgetKey, getApiKey, revokeApiKey, verifyApiKey, insertApiKey } from "@/lib/auth/api-keys";
import * as keysRoute from "@/app/api/admin/keys/route";
import * as keyRoute from "@/app/api/admin/keys/[id]/route";
import { call } from "../../support/http";

const system = { kind: "system", name: "test" } as const;

describe("API keys", () => {
  let adminKey: string;
  beforeAll(async () => {
    adminKey = (await createApiKey(system, { name: "test-admin", scopes: ["admin"] })).key;
  });
  afterAll(closeDb);

  it("stores only a SHA-256 hash and a visible prefix", async () => {
    const { key, row } = await createApiKey(system, { name: "hashed" });
    expect(key).toMatch(/^pgk_[A-Za-z0-9]{40}$/);
    const stored = await db.apiKey.findUniqueOrThrow({ where: { id: row.id } });
    expect(stored.prefix).toBe(key.slice(0, 12));
    expect(stored.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(key);
  });

  it("verifies a good key and rejects a key that differs only after the prefix", async () => {
    const { key } = await createApiKey(system, { name: "verify" });
    const ok = await verifyApiKey(key);
    expect(ok.ok && ok.principal.kind === "apiKey" && ok.principal.key.name).toBe("verify");
    const forged = key.slice(0, -1) + (key.endsWith("A") ? "B" : "A");
    expect(await verifyApiKey(forged)).toEqual({ ok: false, reason: "unknown" });
  });

  it("stops a revoked key at once on this instance, even when cached", async () => {
    const { key, row } = await createApiKey(system, { name: "revoke-me" });
    expect((await verifyApiKey(key)).ok).toBe(true); // now cached
    await revokeApiKey(system, row.id);
    expect(await verifyApiKey(key)).toEqual({ ok: false, reason: "revoked" });
  });

  it("rejects an expired key", async () => {
    const { key, row } = await insertApiKey({ name: "expiring", expiresAt: new Date(Date.now() + 60_000) });
    expect((await verifyApiKey(key)).ok).toBe(true);
    await db.apiKey.update({ where: { id: row.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    forgetKey(row.prefix);
    expect(await verifyApiKey(key)).toEqual({ ok: false, reason: "expired" });
    // And expiry is also honoured from the cache, without a reload.
    const soon = await insertApiKey({ name: "expiring-cached", expiresAt: new Date(Date.now() + 60_000) });
    expect((await verifyApiKey(soon.key)).ok).toBe(true);
    expect(await verifyApiKey(soon.key, Date.now() + 61_000)).toMatchObject({ ok: false });
  });

  it("serves repeated verifications from the cache, without a database lookup", async () => {
    const { key, row } = await createApiKey(system, { name: "cached" });
    expect((await verifyApiKey(key)).ok).toBe(true);
    // Change the row behind the cache's back: the cached answer is still used.
    await db.apiKey.update({ where: { id: row.id }, data: { name: "renamed" } });
    const again = await verifyApiKey(key);
    expect(again.ok && again.principal.kind === "apiKey" && again.principal.key.name).toBe("cached");
  });

  it("reloads an entry past the cache TTL in the background, answering from it meanwhile", async () => {
    const { key, row } = await createApiKey(system, { name: "stale" });
    expect((await verifyApiKey(key)).ok).toBe(true);
    // Revoked behind the cache's back, as if this instance had missed the NOTIFY.
    await db.apiKey.update({ where: { id: row.id }, data: { revokedAt: new Date() } });
    const later = Date.now() + config().API_KEY_CACHE_TTL_MS + 1000;
    expect((await verifyApiKey(key, later)).ok).toBe(true); // no wait on the database; the reload starts
    await expect.poll(() => verifyApiKey(key, later + 1), { timeout: 10_000 }).toEqual({ ok: false, reason: "revoked" });
  });

  it("does not cache a read that an eviction overtook", async () => {
    const { key, row } = await createApiKey(system, { name: "raced" });
    const first = verifyApiKey(key); // its read is in flight...
    forgetKey(row.prefix); // ...when a revocation notice for the key arrives
    expect((await first).ok).toBe(true);
    // Revoked behind the cache's back: only a fresh read can see it, so the raced read must not be cached.
    await db.apiKey.update({ where: { id: row.id }, data: { revokedAt: new Date() } });
    expect(await verifyApiKey(key)).toEqual({ ok: false, reason: "revoked" });
  });

  it("records last use, throttled to one write per key per minute", async () => {
    const { key, row } = await createApiKey(system, { name: "last-used" });
    const t0 = Date.now();
    await verifyApiKey(key, t0);
    // Written off the request path.
    await expect.poll(async () => (await db.apiKey.findUniqueOrThrow({ where: { id: row.id } })).lastUsedAt?.getTime()).toBe(t0);
    // Within the minute: no write is even issued (a fixed wait could not tell "none" from "not yet").
    const writes = vi.spyOn(db.apiKey, "update");
    try {
      await verifyApiKey(key, t0 + 5_000);
      expect(writes).not.toHaveBeenCalled();
      // A minute later it writes again: the spy does see the writes it is there to count.
      await verifyApiKey(key, t0 + 61_000);
      expect(writes).toHaveBeenCalledTimes(1);
    } finally {
      writes.mockRestore();
    }
    await expect.poll(async () => (await db.apiKey.findUniqueOrThrow({ where: { id: row.id } })).lastUsedAt?.getTime()).toBe(t0 + 61_000);
  });

  it("finds one key for the console by id, and nothing for a missing or malformed id", async () => {
    const { row } = await createApiKey(system, { name: "look-me-up" });
    const found = await getApiKey("00000000-0000-0000-0000-000000000001", row.id);
    expect(found).toMatchObject({ id: row.id, name: "look-me-up", prefix: row.prefix });
    expect(JSON.stringify(found)).not.toMatch(/"hash"/);
    expect(await getApiKey("00000000-0000-0000-0000-000000000001", "00000000-0000-4000-8000-000000000000")).toBeNull();
    expect(await getApiKey("00000000-0000-0000-0000-000000000001", "../not-a-uuid")).toBeNull(); // no query: Postgres would reject it with an error
  });

  it("audits creation and revocation", async () => {
    const { row } = await createApiKey(system, { name: "audited" });
    await revokeApiKey(system, row.id);
    const entries = await db.auditLog.findMany({ where: { targetId: row.id }, orderBy: { createdAt: "asc" } });
    expect(entries.map((e) => e.action)).toEqual(["apikey.create", "apikey.revoke"]);
    expect(entries[0]?.actorEmail).toBe("system:test");
  });

  describe("management routes", () => {
    it("creates, lists and revokes with an admin-scoped key", async () => {
      const auth = { authorization: `Bearer ${adminKey}` };
      const created = await call(keysRoute.POST, { method: "POST", path: "/api/admin/keys", headers: auth, body: { name: "via-api", scopes: ["completions"] } });
      expect(created.status).toBe(201);
      expect(created.json.key).toMatch(/^pgk_/);
      expect(created.json.hash).toBeUndefined();

      const list = await call(keysRoute.GET, { path: "/api/admin/keys", headers: auth });
      expect(list.status).toBe(200);
      const listed = list.json.data.find((k: { id: string }) => k.id === created.json.id);
      expect(listed).toMatchObject({ name: "via-api", status: "active" });
      expect(JSON.stringify(list.json)).not.toContain(created.json.key);

      const del = await call(keyRoute.DELETE, { method: "DELETE", path: `/api/admin/keys/${created.json.id}`, headers: auth, params: { id: created.json.id } });
      expect(del.status).toBe(200);
      expect(del.json.status).toBe("revoked");
      expect((await verifyApiKey(created.json.key)).ok).toBe(false);
    });

    it("accepts the key in x-api-key too", async () => {
      const r = await call(keysRoute.GET, { path: "/api/admin/keys", headers: { "x-api-key": adminKey } });
      expect(r.status).toBe(200);
    });

    it("refuses a key without the admin scope with 403", async () => {
      const { key } = await createApiKey(system, { name: "plain" });
      const r = await call(keysRoute.GET, { path: "/api/admin/keys", headers: { authorization: `Bearer ${key}` } });
      expect(r.status).toBe(403);
      expect(r.json).toMatchObject({ error: { code: "forbidden" } });
    });

    it("answers 401 for a missing, unknown or revoked key", async () => {
      const r1 = await call(keysRoute.GET, { path: "/api/admin/keys", headers: { authorization: "Bearer pgk_thisisnotarealkeyatall000000000000000" } });
      expect(r1.status).toBe(401);
      expect(r1.json.error).toMatchObject({ code: "invalid_api_key", message: "Incorrect API key provided" });
      const { key, row } = await createApiKey(system, { name: "gone", scopes: ["admin"] });
      await revokeApiKey(system, row.id);
      const r2 = await call(keysRoute.GET, { path: "/api/admin/keys", headers: { authorization: `Bearer ${key}` } });
      expect(r2.status).toBe(401);
      expect(r2.json.error.message).toMatch(/revoked/);
    });

    it("validates the body and the id", async () => {
      const auth = { authorization: `Bearer ${adminKey}` };
      const bad = await call(keysRoute.POST, { method: "POST", path: "/api/admin/keys", headers: auth, body: { name: "", scopes: ["root"] } });
      expect(bad.status).toBe(400);
      expect(bad.json.error.param).toBe("name");
      const badId = await call(keyRoute.DELETE, { method: "DELETE", path: "/api/admin/keys/x", headers: auth, params: { id: "not-a-uuid" } });
      expect(badId.status).toBe(400);
      const missing = await call(keyRoute.DELETE, { method: "DELETE", path: "/api/admin/keys/x", headers: auth, params: { id: "00000000-0000-4000-8000-000000000000" } });
      expect(missing.status).toBe(404);
    });
  });
});
