// Security #13.4: an account's secrets (its API key and its extra upstream
// headers) never follow the account to a new host unless they are sent again,
// header values are encrypted at rest like the key, shown masked, and kept out
// of the audit log. Real routes, real Postgres, real upstreams.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { closeDb, db } from "@/lib/db";
import { createApiKey } from "@/lib/auth/api-keys";
import { decryptSecret, invalidateRegistry, routableAccounts, sealLegacyHeaderValues, testConnection } from "@/lib/accounts";
import * as accountsRoute from "@/app/api/admin/accounts/route";
import * as accountRoute from "@/app/api/admin/accounts/[id]/route";
import { call } from "../../support/http";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";

const system = { kind: "system", name: "test" } as const;
const run = Date.now().toString(36);
const uniq = (name: string) => `${name}-${run}`;

const KEY = `sk-secrets-test-${run}-KEY11111`;
const KEY_2 = `sk-secrets-test-${run}-KEY22222`;
const TOKEN = `tok-header-secret-${run}-TOKN`;
const TOKEN_2 = `tok-header-second-${run}-TOK2`;
const LEGACY = `tok-legacy-plain-${run}-LEGA`;
const ALL_SECRETS = [KEY, KEY_2, TOKEN, TOKEN_2, LEGACY];

describe("account secrets", () => {
  let auth: Record<string, string>;
  let provider: FakeUpstream; // the real upstream
  let attacker: FakeUpstream; // where a stolen admin key re-points the account

  beforeAll(async () => {
    auth = { authorization: `Bearer ${(await createApiKey(system, { name: uniq("secrets-admin"), scopes: ["admin"] })).key}` };
    [provider, attacker] = await Promise.all([startFakeUpstream(), startFakeUpstream()]);
  });
  afterAll(async () => {
    await db.providerAccount.deleteMany({ where: { name: { endsWith: `-${run}` } } });
    await Promise.all([provider?.close(), attacker?.close()]);
    await closeDb();
  });
  beforeEach(() => {
    provider.reset();
    attacker.reset();
  });

  const create = (body: Record<string, unknown>) => call(accountsRoute.POST, { method: "POST", path: "/api/admin/accounts", headers: auth, body });
  const patch = (id: string, body: Record<string, unknown>) =>
    call(accountRoute.PATCH, { method: "PATCH", path: `/api/admin/accounts/${id}`, headers: auth, params: { id }, body });
  const get = (id: string) => call(accountRoute.GET, { method: "GET", path: `/api/admin/accounts/${id}`, headers: auth, params: { id } });
  const row = (id: string) => db.providerAccount.findUniqueOrThrow({ where: { id } });
  const everyRequestTo = (u: FakeUpstream) => JSON.stringify(u.requests);

  async function account(name: string, extra: Record<string, unknown> = {}): Promise<string> {
    const r = await create({ name: uniq(name), provider: "openai", baseUrl: provider.openaiBaseUrl, apiKey: KEY, models: [`${name}-model`], ...extra });
    expect(r.status, r.text).toBe(201);
    return r.json.id as string;
  }

  describe("re-pointing", () => {
    it("security #13.4: PATCHing baseUrl without a new key clears the stored key, and the new host never sees it", async () => {
      const id = await account("repoint");
      const r = await patch(id, { baseUrl: attacker.openaiBaseUrl });
      expect(r.status, r.text).toBe(200);
      expect(r.json).toMatchObject({ baseUrl: attacker.openaiBaseUrl, secretLast4: null, secretCleared: true });
      expect((await row(id)).secretCiphertext).toBeNull();

      const test = await testConnection(system, id);
      expect(test.ok).toBe(false);
      expect(test.message).toMatch(/key was cleared/i);
      expect(attacker.requests).toHaveLength(0);
      expect(everyRequestTo(attacker)).not.toContain(KEY);
    });

    it("security #13.4: changing the provider clears the key too; a key sent in the same request is kept", async () => {
      const id = await account("reprovider");
      expect((await patch(id, { provider: "anthropic" })).json).toMatchObject({ secretLast4: null, secretCleared: true });

      const withKey = await patch(id, { provider: "openai", baseUrl: attacker.openaiBaseUrl, apiKey: KEY_2 });
      expect(withKey.json).toMatchObject({ secretLast4: KEY_2.slice(-4), secretCleared: false });
      expect(decryptSecret((await row(id)).secretCiphertext!)).toBe(KEY_2);
    });

    it("security #13.4: the base URL as it is stored (the console re-sends it on every save) keeps the key", async () => {
      const id = await account("same-url");
      const r = await patch(id, { baseUrl: `${provider.openaiBaseUrl}/`, provider: "openai", weight: 3 });
      expect(r.json).toMatchObject({ secretLast4: KEY.slice(-4), secretCleared: false, weight: 3 });
      expect(decryptSecret((await row(id)).secretCiphertext!)).toBe(KEY);
    });

    it("security #13.4: a cleared account is not routed until a key is sent, or apiKey null says it needs none", async () => {
      const id = await account("routing");
      await patch(id, { baseUrl: attacker.openaiBaseUrl });
      invalidateRegistry();
      expect((await routableAccounts()).some((a) => a.id === id)).toBe(false);

      expect((await patch(id, { apiKey: null })).json).toMatchObject({ secretLast4: null, secretCleared: false });
      invalidateRegistry();
      expect((await routableAccounts()).find((a) => a.id === id)).toMatchObject({ apiKey: null });
    });

    it("security #13.4: an account without a key or header values is re-pointed without being held back", async () => {
      const created = await create({ name: uniq("keyless"), provider: "openai", baseUrl: provider.openaiBaseUrl, models: ["keyless-model"] });
      const r = await patch(created.json.id, { baseUrl: attacker.openaiBaseUrl });
      expect(r.json).toMatchObject({ secretLast4: null, secretCleared: false });
    });
  });

  describe("header values", () => {
    it("security #13.4: are stored encrypted, shown masked, and sent decrypted upstream", async () => {
      const id = await account("headers", { settings: { headers: { "X-Upstream-Token": TOKEN }, testModel: "headers-model" } });
      const stored = (await row(id)).settings as { headers: Record<string, string> };
      expect(JSON.stringify(stored)).not.toContain(TOKEN);
      expect(decryptSecret(stored.headers["X-Upstream-Token"]!)).toBe(TOKEN);

      const shown = await get(id);
      expect(shown.json.settings).toEqual({ headers: { "X-Upstream-Token": `••••${TOKEN.slice(-4)}` }, testModel: "headers-model" });
      expect(shown.text).not.toContain(TOKEN);
      expect(shown.text).not.toContain(stored.headers["X-Upstream-Token"]);
      const list = await call(accountsRoute.GET, { path: "/api/admin/accounts", headers: auth });
      expect(list.text).not.toContain(TOKEN);

      expect(await testConnection(system, id)).toMatchObject({ ok: true });
      expect(provider.requests[0]!.headers["x-upstream-token"]).toBe(TOKEN);
    });

    it("security #13.4: a masked value sent back keeps the stored one; a new value replaces it", async () => {
      const id = await account("headers-edit", { settings: { headers: { "x-upstream-token": TOKEN, "x-team": "team-header-value-1" }, testModel: "m" } });
      const shown = (await get(id)).json.settings as { headers: Record<string, string> };
      const r = await patch(id, { baseUrl: provider.openaiBaseUrl, settings: { headers: { ...shown.headers, "x-team": TOKEN_2 }, testModel: "m" } });
      expect(r.status, r.text).toBe(200);
      expect(await testConnection(system, id)).toMatchObject({ ok: true });
      expect(provider.requests[0]!.headers).toMatchObject({ "x-upstream-token": TOKEN, "x-team": TOKEN_2 });
    });

    it("security #13.4: re-pointing drops the header values that are not sent again", async () => {
      const id = await account("headers-repoint", { settings: { headers: { "x-upstream-token": TOKEN }, testModel: "m" } });
      const shown = (await get(id)).json.settings as Record<string, unknown>;
      const r = await patch(id, { baseUrl: attacker.openaiBaseUrl, apiKey: KEY_2, settings: shown });
      expect(r.json.settings).toEqual({ headers: {}, testModel: "m" });

      const viaPatchWithoutSettings = await account("headers-repoint-2", { settings: { headers: { "x-upstream-token": TOKEN } } });
      const r2 = await patch(viaPatchWithoutSettings, { baseUrl: attacker.openaiBaseUrl });
      expect(r2.json).toMatchObject({ settings: { headers: {} }, secretCleared: true });

      await testConnection(system, id);
      expect(everyRequestTo(attacker)).not.toContain(TOKEN);
    });

    it("security #13.4: a masked value with no stored value behind it is refused, naming the header", async () => {
      const r = await create({ name: uniq("masked-new"), provider: "openai", settings: { headers: { "x-upstream-token": "••••abcd" } } });
      expect(r.status).toBe(400);
      expect(r.json.error.param).toBe("settings.headers.x-upstream-token");
    });

    it("security #13.4: a legacy plain-text value keeps working and is encrypted by sealLegacyHeaderValues", async () => {
      const id = await account("legacy", { settings: { testModel: "m" } });
      await db.providerAccount.update({ where: { id }, data: { settings: { headers: { "x-legacy": LEGACY }, testModel: "m" } } });
      expect(await testConnection(system, id)).toMatchObject({ ok: true });
      expect(provider.requests[0]!.headers["x-legacy"]).toBe(LEGACY);
      expect((await get(id)).text).not.toContain(LEGACY);

      expect(await sealLegacyHeaderValues()).toBeGreaterThanOrEqual(1);
      const sealed = (await row(id)).settings as { headers: Record<string, string> };
      expect(decryptSecret(sealed.headers["x-legacy"]!)).toBe(LEGACY);
      expect(await sealLegacyHeaderValues()).toBe(0);
    });
  });

  it("security #13.4: no audit entry contains a key, a header value or a header ciphertext", async () => {
    const entries = await db.auditLog.findMany({ where: { targetType: "account", actorEmail: { startsWith: "apikey:" } } });
    expect(entries.length).toBeGreaterThan(10);
    const everything = JSON.stringify(await db.auditLog.findMany());
    for (const s of ALL_SECRETS) expect(everything).not.toContain(s);
    const ciphertexts = (await db.providerAccount.findMany({ where: { name: { endsWith: `-${run}` } } }))
      .flatMap((a) => Object.values(((a.settings ?? {}) as { headers?: Record<string, string> }).headers ?? {}));
    expect(ciphertexts.length).toBeGreaterThan(0);
    for (const ct of ciphertexts) expect(everything).not.toContain(ct);
    const update = entries.find((e) => e.action === "account.update" && JSON.stringify(e.after).includes("x-upstream-token"));
    expect(update?.after).toMatchObject({ settings: { headers: { "x-upstream-token": "[secret]" } } });
  });
});
