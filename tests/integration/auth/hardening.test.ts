// Cookie flags, both CSRF defences (Auth.js's token and Next's server-action
// origin check), and a full flow whose every server log line is searched for
// the secrets it used.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "@/lib/accounts";
import { enableSigning } from "@/lib/auth/signing";
import { closeDb } from "@/lib/db";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { startApp, type AppServer } from "../../support/app-server";
import { makeCallers, rawRequest, signInOverHttp, type Callers } from "../../support/callers";
import { createHash, createHmac } from "node:crypto";

const system = { kind: "system", name: "test" } as const;
const PROVIDER_SECRET = "sk-hardening-provider-secret-0123456789";

describe("hardening", () => {
  let app: AppServer;
  let httpsCookies: string[] = [];
  let fake: FakeUpstream;
  let callers: Callers & { secrets: string[] };
  let sql: pg.Pool;

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL });
    fake = await startFakeUpstream({ apiKey: PROVIDER_SECRET });
    await createAccount(system, { name: "hardening-upstream", provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: PROVIDER_SECRET, models: ["hard-*"] });
    // Debug level: the most a deployment could log.
    // The https instance is asked first and stopped: if the next startApp rebuilds (sources changed), no
    // running server is left serving an older build than the one on disk.
    const httpsApp = await startApp({ AUTH_URL: "https://promptgate.example" });
    try {
      httpsCookies = (await fetch(`${httpsApp.url}/api/auth/csrf`)).headers.getSetCookie();
    } finally {
      await httpsApp.stop();
    }
    app = await startApp({ LOG_LEVEL: "debug" });
    callers = await makeCallers(app.url, "hard");
  }, 600_000);

  afterAll(async () => {
    await app?.stop();
    await fake?.close();
    await sql?.end();
    await closeDb();
  });

  describe("cookies", () => {
    it("sets the session and CSRF cookies httpOnly and SameSite=Lax, without Secure on plain http", async () => {
      const csrf = await fetch(`${app.url}/api/auth/csrf`);
      const cookie = csrf.headers.getSetCookie().find((c) => c.startsWith("authjs.csrf-token="))!;
      expect(cookie).toMatch(/;\s*HttpOnly/i);
      expect(cookie).toMatch(/;\s*SameSite=Lax/i);
      expect(cookie).not.toMatch(/;\s*Secure/i);
      expect(callers.admin.cookie).toMatch(/^authjs\.session-token=/);
    });

    it("uses __Host-/__Secure- cookies with the Secure flag when AUTH_URL is https", async () => {
      const cookies = httpsCookies;
      const csrf = cookies.find((c) => c.startsWith("__Host-authjs.csrf-token="));
      expect(csrf, cookies.join("\n")).toBeDefined();
      expect(csrf).toMatch(/;\s*Secure/i);
      expect(csrf).toMatch(/;\s*HttpOnly/i);
    });
  });

  describe("CSRF", () => {
    it("refuses an Auth.js credentials sign-in without the CSRF token, setting no session", async () => {
      const email = `csrf-${Date.now()}@security.test`;
      const res = await fetch(`${app.url}/api/auth/callback/credentials`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ email, password: "whatever-password" }),
      });
      expect(res.headers.getSetCookie().some((c) => c.startsWith("authjs.session-token="))).toBe(false);
      expect(res.headers.get("location") ?? "").toMatch(/error=MissingCSRF/);
    });

    it("refuses a server action posted from another origin, even with an admin's session cookie", async () => {
      const manifest = JSON.parse(readFileSync(join(process.env.PROMPTGATE_DIST_DIR || ".next", "server/server-reference-manifest.json"), "utf8")) as {
        node: Record<string, { filename?: string; exportedName?: string }>;
      };
      const id = Object.entries(manifest.node).find(([, e]) => e.exportedName === "createUserAction")![0];
      const email = `cross-origin-${Date.now()}@security.test`;
      const args = JSON.stringify([{ email, name: "Cross Origin", role: "admin", password: "cross-origin-password-1" }]);
      const headers = { cookie: callers.admin.cookie!, "next-action": id, "content-type": "text/plain;charset=UTF-8", accept: "text/x-component" };
      const evil = await rawRequest(app.url, "POST", "/users", { ...headers, origin: "https://evil.example" }, args);
      expect(evil.text).not.toMatch(/"ok":true/);
      const { rows } = await sql.query(`SELECT 1 FROM "User" WHERE email = $1`, [email]);
      expect(rows).toHaveLength(0);
      // The same request from the app's own origin goes through: the origin was the only difference.
      const same = await rawRequest(app.url, "POST", "/users", { ...headers, origin: app.url }, args);
      expect(same.text).toMatch(/"ok":true/);
      const after = await sql.query(`SELECT 1 FROM "User" WHERE email = $1`, [email]);
      expect(after.rows).toHaveLength(1);
    });
  });

  describe("no secrets in logs", () => {
    it("never writes an API key, token, provider secret, signing secret or password used in a full flow to the server log", async () => {
      const secrets = [PROVIDER_SECRET, ...callers.secrets];
      const key = callers.apiKey.bearer!;
      const auth = { authorization: `Bearer ${key}`, "content-type": "application/json" };
      // A failed sign-in (its wrong password is a secret too).
      const wrongPassword = "wrong-password-that-must-not-be-logged";
      secrets.push(wrongPassword);
      await signInOverHttp(app.url, "nobody@security.test", wrongPassword).catch(() => {});
      // Management API: a new key (its value is in the response only), an account with a secret.
      const created = (await (await fetch(`${app.url}/api/admin/keys`, { method: "POST", headers: { authorization: `Bearer ${callers.adminKey.bearer}`, "content-type": "application/json" }, body: JSON.stringify({ name: "log-probe" }) })).json()) as { key: string };
      secrets.push(created.key);
      const accountSecret = "sk-logged-nowhere-account-secret-987654";
      secrets.push(accountSecret);
      await fetch(`${app.url}/api/admin/accounts`, { method: "POST", headers: { authorization: `Bearer ${callers.adminKey.bearer}`, "content-type": "application/json" }, body: JSON.stringify({ name: "log-probe-acct", provider: "openai", baseUrl: "http://127.0.0.1:9/v1", apiKey: accountSecret, models: ["never-*"] }) });
      // Gateway: stream and non-stream, an upstream failure, a wrong key.
      fake.enqueue({ content: "hi" });
      expect((await fetch(`${app.url}/api/v1/chat/completions`, { method: "POST", headers: auth, body: JSON.stringify({ model: "hard-1", messages: [{ role: "user", content: "x" }] }) })).status).toBe(200);
      fake.enqueue({ content: "streamed" });
      await (await fetch(`${app.url}/api/v1/chat/completions`, { method: "POST", headers: auth, body: JSON.stringify({ model: "hard-1", stream: true, messages: [{ role: "user", content: "x" }] }) })).text();
      fake.enqueue({ status: 500 });
      fake.enqueue({ status: 500 });
      await fetch(`${app.url}/api/v1/chat/completions`, { method: "POST", headers: auth, body: JSON.stringify({ model: "hard-1", messages: [{ role: "user", content: "x" }] }) });
      const wrongKey = `pgk_${"Z".repeat(40)}`;
      secrets.push(wrongKey);
      await fetch(`${app.url}/api/v1/models`, { headers: { authorization: `Bearer ${wrongKey}` } });
      // Service tokens and a signed request.
      const tokens = (await (await fetch(`${app.url}/api/auth/token`, { method: "POST", headers: auth, body: JSON.stringify({ grant_type: "api_key" }) })).json()) as { access_token: string; refresh_token: string };
      secrets.push(tokens.access_token, tokens.refresh_token);
      await fetch(`${app.url}/api/auth/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ grant_type: "refresh_token", refresh_token: tokens.refresh_token }) });
      await fetch(`${app.url}/api/auth/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ grant_type: "refresh_token", refresh_token: tokens.refresh_token }) });
      await fetch(`${app.url}/api/v1/models`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      const { rows } = await sql.query<{ id: string }>(`SELECT id FROM "ApiKey" WHERE prefix = $1`, [key.slice(0, 12)]);
      const { secret } = await enableSigning(system, rows[0]!.id);
      secrets.push(secret);
      const ts = String(Math.floor(Date.now() / 1000));
      const sig = createHmac("sha256", secret).update(`GET\n/api/v1/models\n${ts}\n${createHash("sha256").update("").digest("hex")}`).digest("hex");
      for (let i = 0; i < 30; i++) {
        const r = await fetch(`${app.url}/api/v1/models`, { headers: { authorization: `Bearer ${key}`, "x-promptgate-timestamp": ts, "x-promptgate-signature": sig } });
        if (r.status === 200) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      await new Promise((r) => setTimeout(r, 300));

      const log = app.output();
      // The capture is real: debug request lines of this very flow are in it.
      expect(log.split("\n").filter((l) => l.includes('"msg":"request"')).length).toBeGreaterThan(10);
      const leaked = secrets.filter((s) => log.includes(s) || log.includes(s.slice(0, 24)));
      expect(leaked.map((s) => `${s.slice(0, 6)}… (${s.length} chars)`)).toEqual([]);
    });
  });
});
