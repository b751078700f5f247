import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { closeDb, db } from "@/lib/db";
import { createApiKey } from "@/lib/auth/api-keys";
import { createAccount, decryptSecret, testConnection } from "@/lib/accounts";
import * as accountsRoute from "@/app/api/admin/accounts/route";
import * as accountRoute from "@/app/api/admin/accounts/[id]/route";
import * as testRoute from "@/app/api/admin/accounts/[id]/test/route";
import { call } from "../../support/http";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";

const system = { kind: "system", name: "test" } as const;
const run = Date.now().toString(36);
const uniq = (name: string) => `${name}-${run}`;

// Every plaintext provider key this file hands to Promptgate: none may ever
// show up in a response body or an audit entry.
const KEY_1 = `sk-acct-test-first-${run}-AAAA1111`;
const KEY_2 = `sk-acct-test-second-${run}-BBBB2222`;
const KEY_ENV = `sk-acct-test-env-${run}-CCCC3333`;
const KEY_FLAG = `sk-acct-test-flag-${run}-DDDD4444`;
const KEY_FAKE = `sk-acct-test-fake-${run}-EEEE5555`;
const PLAINTEXT_KEYS = [KEY_1, KEY_2, KEY_ENV, KEY_FLAG, KEY_FAKE];

function admin(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ["--conditions=react-server", "--import", "tsx", "scripts/admin.ts", ...args], {
    env: { ...process.env, LOG_LEVEL: "silent", ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("provider accounts management", () => {
  let adminAuth: Record<string, string>;
  let plainAuth: Record<string, string>;
  let fake: FakeUpstream;
  let guarded: FakeUpstream;

  beforeAll(async () => {
    adminAuth = { authorization: `Bearer ${(await createApiKey(system, { name: "accounts-admin", scopes: ["admin"] })).key}` };
    plainAuth = { authorization: `Bearer ${(await createApiKey(system, { name: "accounts-plain", scopes: ["completions"] })).key}` };
    [fake, guarded] = await Promise.all([startFakeUpstream(), startFakeUpstream({ apiKey: "right" })]);
  });
  afterAll(async () => {
    // Later files share this database, and an enabled account here (a simulator
    // serves every model) would take their gateway traffic.
    await db.providerAccount.deleteMany({ where: { name: { endsWith: `-${run}` } } });
    await Promise.all([fake?.close(), guarded?.close()]);
    await closeDb();
  });
  beforeEach(() => {
    fake.reset();
    guarded.reset();
  });

  const post = (body: unknown, headers = adminAuth) => call(accountsRoute.POST, { method: "POST", path: "/api/admin/accounts", headers, body });
  const one = (handler: typeof accountRoute.GET, method: string, id: string, body?: unknown, headers = adminAuth) =>
    call(handler, { method, path: `/api/admin/accounts/${id}`, headers, params: { id }, body });
  const test = (id: string, headers = adminAuth) =>
    call(testRoute.POST, { method: "POST", path: `/api/admin/accounts/${id}/test`, headers, params: { id } });

  describe("API", () => {
    let id: string;

    it("creates an account with 201 and shows only the key's last four characters", async () => {
      const r = await post({ name: uniq("api-openai"), provider: "openai", baseUrl: `${fake.openaiBaseUrl}/`, apiKey: KEY_1, models: ["gpt-4o-mini", "gpt-4o*"], aliases: { fast: "gpt-4o-mini" } });
      expect(r.status).toBe(201);
      expect(r.json).toMatchObject({
        name: uniq("api-openai"), provider: "openai", baseUrl: fake.openaiBaseUrl, secretLast4: KEY_1.slice(-4),
        models: ["gpt-4o-mini", "gpt-4o*"], aliases: { fast: "gpt-4o-mini" }, enabled: true, weight: 1, priority: 0,
        firstByteTimeoutMs: 30_000, idleTimeoutMs: 60_000,
      });
      expect(r.json).not.toHaveProperty("secretCiphertext");
      expect(r.json).not.toHaveProperty("apiKey");
      expect(r.text).not.toContain(KEY_1);
      id = r.json.id;
    });

    it("stores the key as AES-GCM ciphertext that decrypts to the key, never as plaintext", async () => {
      const row = await db.providerAccount.findUniqueOrThrow({ where: { id } });
      expect(row.secretCiphertext).toMatch(/^v1:/);
      expect(JSON.stringify(row)).not.toContain(KEY_1);
      expect(decryptSecret(row.secretCiphertext!)).toBe(KEY_1);
      expect(row.secretLast4).toBe(KEY_1.slice(-4));
    });

    it("lists and gets accounts without the secret or its ciphertext", async () => {
      const list = await call(accountsRoute.GET, { path: "/api/admin/accounts", headers: adminAuth });
      expect(list.status).toBe(200);
      expect(list.json.data.find((a: { id: string }) => a.id === id)).toMatchObject({ name: uniq("api-openai"), secretLast4: KEY_1.slice(-4) });
      expect(list.text).not.toContain("secretCiphertext");
      expect(list.text).not.toContain(KEY_1);

      const got = await one(accountRoute.GET, "GET", id);
      expect(got.status).toBe(200);
      expect(got.json).toMatchObject({ id, secretLast4: KEY_1.slice(-4) });
      expect(got.json).not.toHaveProperty("secretCiphertext");
    });

    it("patches fields: a new key updates last4, an absent key keeps it, null clears it", async () => {
      const changed = await one(accountRoute.PATCH, "PATCH", id, { apiKey: KEY_2 });
      expect(changed.status).toBe(200);
      expect(changed.json.secretLast4).toBe(KEY_2.slice(-4));
      expect(changed.text).not.toContain(KEY_2);
      const stored = await db.providerAccount.findUniqueOrThrow({ where: { id } });
      expect(decryptSecret(stored.secretCiphertext!)).toBe(KEY_2);

      const kept = await one(accountRoute.PATCH, "PATCH", id, { weight: 5, priority: 2, enabled: false });
      expect(kept.status).toBe(200);
      expect(kept.json).toMatchObject({ weight: 5, priority: 2, enabled: false, secretLast4: KEY_2.slice(-4) });
      expect((await db.providerAccount.findUniqueOrThrow({ where: { id } })).secretCiphertext).toBe(stored.secretCiphertext);

      const cleared = await one(accountRoute.PATCH, "PATCH", id, { apiKey: null });
      expect(cleared.status).toBe(200);
      expect(cleared.json.secretLast4).toBeNull();
      expect((await db.providerAccount.findUniqueOrThrow({ where: { id } })).secretCiphertext).toBeNull();
    });

    it("deletes with 204, after which the account is 404", async () => {
      const del = await one(accountRoute.DELETE, "DELETE", id);
      expect(del.status).toBe(204);
      expect(del.text).toBe("");
      expect((await one(accountRoute.GET, "GET", id)).status).toBe(404);
      expect((await one(accountRoute.PATCH, "PATCH", id, { weight: 1 })).status).toBe(404);
      expect((await one(accountRoute.DELETE, "DELETE", id)).status).toBe(404);
    });

    it("names the offending field in validation errors", async () => {
      const metadata = await post({ name: uniq("ssrf"), provider: "openai", baseUrl: "http://169.254.169.254/latest", apiKey: KEY_1 });
      expect(metadata.status).toBe(400);
      expect(metadata.json.error).toMatchObject({ code: "validation_error", param: "baseUrl" });
      expect(metadata.text).not.toContain(KEY_1);

      const azure = await post({ name: uniq("azure-no-url"), provider: "azure" });
      expect(azure.status).toBe(400);
      expect(azure.json.error.param).toBe("baseUrl");

      const provider = await post({ name: uniq("bad-kind"), provider: "bedrock" });
      expect(provider.json.error.param).toBe("provider");

      const weight = await post({ name: uniq("bad-weight"), provider: "simulator", weight: -1 });
      expect(weight.json.error.param).toBe("weight");

      const name = await post({ name: "  ", provider: "simulator" });
      expect(name.json.error.param).toBe("name");

      const created = await post({ name: uniq("dupe"), provider: "simulator" });
      expect(created.status).toBe(201);
      const dupe = await post({ name: uniq("dupe"), provider: "simulator" });
      expect(dupe.status).toBe(409);

      const patch = await one(accountRoute.PATCH, "PATCH", created.json.id, { baseUrl: "http://metadata.google.internal/" });
      expect(patch.status).toBe(400);
      expect(patch.json.error.param).toBe("baseUrl");

      const badId = await one(accountRoute.GET, "GET", "not-a-uuid");
      expect(badId.status).toBe(400);
      expect(badId.json.error.param).toBe("id");
    });

    it("refuses a key without the admin scope with 403 on every route", async () => {
      const created = await post({ name: uniq("guarded"), provider: "simulator" });
      const cid: string = created.json.id;
      const results = [
        await call(accountsRoute.GET, { path: "/api/admin/accounts", headers: plainAuth }),
        await post({ name: uniq("sneaky"), provider: "simulator" }, plainAuth),
        await one(accountRoute.GET, "GET", cid, undefined, plainAuth),
        await one(accountRoute.PATCH, "PATCH", cid, { enabled: false }, plainAuth),
        await one(accountRoute.DELETE, "DELETE", cid, undefined, plainAuth),
        await test(cid, plainAuth),
      ];
      for (const r of results) {
        expect(r.status).toBe(403);
        expect(r.json.error.code).toBe("forbidden");
      }
      expect(await db.providerAccount.findFirst({ where: { name: uniq("sneaky") } })).toBeNull();
      expect((await db.providerAccount.findUniqueOrThrow({ where: { id: cid } })).enabled).toBe(true);
    });

    it("answers 405 for a method the route does not have", async () => {
      const r = await call(accountsRoute.DELETE, { method: "DELETE", path: "/api/admin/accounts", headers: adminAuth });
      expect(r.status).toBe(405);
      expect(r.headers.get("allow")).toBe("GET, POST");
    });
  });

  describe("test connection", () => {
    it("passes against the simulator, with any model", async () => {
      const a = await createAccount(system, { name: uniq("sim"), provider: "simulator" });
      const r = await testConnection(system, a.id);
      expect(r).toMatchObject({ ok: true, model: "simulator" });
      expect(r.latencyMs).toBeGreaterThanOrEqual(0);
      const entry = await db.auditLog.findFirstOrThrow({ where: { action: "account.test", targetId: a.id } });
      expect(entry.after).toMatchObject({ ok: true, name: uniq("sim") });
    });

    it("makes one 1-token call to the first exact model of an OpenAI account and reports success", async () => {
      const created = await post({ name: uniq("fake-ok"), provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: KEY_FAKE, models: ["gpt-*", "gpt-4o-mini"] });
      const r = await test(created.json.id);
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ ok: true, model: "gpt-4o-mini" });
      expect(typeof r.json.latencyMs).toBe("number");
      expect(r.text).not.toContain(KEY_FAKE);
      expect(fake.requests).toHaveLength(1);
      expect(fake.requests[0]!.body).toMatchObject({ model: "gpt-4o-mini", max_tokens: 1 });
      expect(fake.requests[0]!.headers.authorization).toBe(`Bearer ${KEY_FAKE}`);
      const entry = await db.auditLog.findFirstOrThrow({ where: { action: "account.test", targetId: created.json.id } });
      expect(entry.actorEmail).toMatch(/^apikey:/);
    });

    it("prefers settings.testModel", async () => {
      const a = await createAccount(system, { name: uniq("fake-setting"), provider: "openai", baseUrl: fake.openaiBaseUrl, models: ["gpt-4o"], settings: { testModel: "gpt-4o-mini" } });
      expect(await testConnection(system, a.id)).toMatchObject({ ok: true, model: "gpt-4o-mini" });
      expect(fake.requests[0]!.body.model).toBe("gpt-4o-mini");
    });

    it("reports the upstream's 401 when the key is wrong", async () => {
      const created = await post({ name: uniq("fake-401"), provider: "openai", baseUrl: guarded.openaiBaseUrl, apiKey: "wrong", models: ["gpt-4o-mini"] });
      const r = await test(created.json.id);
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ ok: false, status: 401, model: "gpt-4o-mini" });
      expect(r.json.message).toMatch(/401/);
      expect(guarded.requests).toHaveLength(1);
      const entry = await db.auditLog.findFirstOrThrow({ where: { action: "account.test", targetId: created.json.id } });
      expect(entry.after).toMatchObject({ ok: false, status: 401 });
    });

    it("gives up within the account's first-byte timeout when the upstream hangs", async () => {
      const a = await createAccount(system, { name: uniq("fake-hang"), provider: "openai", baseUrl: fake.openaiBaseUrl, models: ["gpt-4o-mini"], firstByteTimeoutMs: 300 });
      fake.enqueue({ hang: true });
      const started = Date.now();
      const r = await testConnection(system, a.id);
      expect(r).toMatchObject({ ok: false, status: 504 });
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it("does not call anything when the account lists only globs", async () => {
      const a = await createAccount(system, { name: uniq("globs"), provider: "openai", baseUrl: fake.openaiBaseUrl, models: ["gpt-*"] });
      const r = await testConnection(system, a.id);
      expect(r).toMatchObject({ ok: false, model: null });
      expect(r.message).toMatch(/testModel/);
      expect(fake.requests).toHaveLength(0);
    });

    it("answers 404 for an unknown account", async () => {
      expect((await test("00000000-0000-4000-8000-000000000000")).status).toBe(404);
    });
  });

  describe("admin CLI", () => {
    it("creates an account with the key from PROVIDER_API_KEY, lists, disables, enables and deletes it", async () => {
      const name = uniq("cli-openai");
      const created = admin(["accounts", "create", "--name", name, "--provider", "openai", "--base-url", fake.openaiBaseUrl, "--models", "gpt-4o-mini,gpt-4o", "--weight", "3", "--priority", "1"], { PROVIDER_API_KEY: KEY_ENV });
      expect(created.err).toBe("");
      expect(created.code).toBe(0);
      expect(created.out).toContain(`••••${KEY_ENV.slice(-4)}`);
      expect(created.out).not.toContain(KEY_ENV);
      const row = await db.providerAccount.findUniqueOrThrow({ where: { name } });
      expect(row).toMatchObject({ provider: "openai", baseUrl: fake.openaiBaseUrl, models: ["gpt-4o-mini", "gpt-4o"], weight: 3, priority: 1, enabled: true });
      expect(decryptSecret(row.secretCiphertext!)).toBe(KEY_ENV);

      const list = admin(["accounts", "list"]);
      expect(list.code).toBe(0);
      const line = list.out.split("\n").find((l) => l.includes(name));
      expect(line).toMatch(/enabled/);
      expect(line).toContain(`••••${KEY_ENV.slice(-4)}`);
      expect(list.out).not.toContain(KEY_ENV);

      expect(admin(["accounts", "disable", name]).code).toBe(0);
      expect((await db.providerAccount.findUniqueOrThrow({ where: { name } })).enabled).toBe(false);
      expect(admin(["accounts", "enable", name]).code).toBe(0);
      expect((await db.providerAccount.findUniqueOrThrow({ where: { name } })).enabled).toBe(true);

      const del = admin(["accounts", "delete", name]);
      expect(del.code).toBe(0);
      expect(await db.providerAccount.findUnique({ where: { name } })).toBeNull();

      const actions = await db.auditLog.findMany({ where: { targetId: row.id }, orderBy: { createdAt: "asc" } });
      expect(actions.map((e) => e.action)).toEqual(["account.create", "account.update", "account.update", "account.delete"]);
      expect(actions.every((e) => e.actorEmail === "system:cli")).toBe(true);
    });

    it("takes --api-key over the environment and creates a simulator account without one", async () => {
      const name = uniq("cli-flag");
      const r = admin(["accounts", "create", "--name", name, "--provider", "anthropic", "--api-key", KEY_FLAG], { PROVIDER_API_KEY: KEY_ENV });
      expect(r.code).toBe(0);
      const row = await db.providerAccount.findUniqueOrThrow({ where: { name } });
      expect(decryptSecret(row.secretCiphertext!)).toBe(KEY_FLAG);

      const sim = admin(["accounts", "create", "--name", uniq("cli-sim"), "--provider", "simulator"], { PROVIDER_API_KEY: "" });
      expect(sim.code).toBe(0);
      expect((await db.providerAccount.findUniqueOrThrow({ where: { name: uniq("cli-sim") } })).secretCiphertext).toBeNull();
    });

    it("fails clearly on bad input, naming the flag", () => {
      const r = admin(["accounts", "create", "--name", uniq("cli-bad"), "--provider", "openai", "--base-url", "http://169.254.169.254/"]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/--base-url: .*metadata/);
      const missing = admin(["accounts", "disable", uniq("nobody")]);
      expect(missing.code).toBe(1);
      expect(missing.err).toMatch(/no account named/);
    });
  });

  it("audits every mutation and test, and no audit entry ever contains a plaintext key", async () => {
    const entries = await db.auditLog.findMany({ where: { targetType: "account" } });
    const actions = new Set(entries.map((e) => e.action));
    for (const a of ["account.create", "account.update", "account.delete", "account.test"]) expect(actions).toContain(a);
    const everything = JSON.stringify(await db.auditLog.findMany());
    for (const key of PLAINTEXT_KEYS) expect(everything).not.toContain(key);
    expect(everything).not.toContain("secretCiphertext");
  });
});
