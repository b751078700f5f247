// HMAC request signing and service tokens, against the production build over
// real HTTP (which also proves /api/auth/token wins over Auth.js's catch-all).
import { createHmac, createHash, hkdfSync } from "node:crypto";
import OpenAI from "openai";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "@/lib/accounts";
import { createApiKey, revokeApiKey } from "@/lib/auth/api-keys";
import { enableSigning } from "@/lib/auth/signing";
import { closeDb } from "@/lib/db";
import { startApp, type AppServer } from "../../support/app-server";

const system = { kind: "system", name: "test" } as const;

// The client side, written from the README's description rather than imported from lib/auth.
function sign(secret: string, method: string, path: string, body: string, ts = Math.floor(Date.now() / 1000)) {
  const bodyHash = createHash("sha256").update(body).digest("hex");
  const signature = createHmac("sha256", secret).update(`${method}\n${path}\n${ts}\n${bodyHash}`).digest("hex");
  return { "x-promptgate-timestamp": String(ts), "x-promptgate-signature": signature };
}

const TOKEN_MODEL = "sec-token-model";

describe("request signing and service tokens", () => {
  let app: AppServer;
  let sql: pg.Pool;
  const keys: Record<string, { key: string; id: string }> = {};
  let signingSecret = "";

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL });
    for (const [name, scopes] of [["signed", ["completions"]], ["plain", ["completions"]], ["admin", ["admin"]], ["revokable", ["completions"]]] as const) {
      const k = await createApiKey(system, { name: `sec-${name}`, scopes: [...scopes] });
      keys[name] = { key: k.key, id: k.row.id };
    }
    signingSecret = (await enableSigning(system, keys.signed!.id)).secret;
    // A model the token's model list must show (the file's accounts are removed after it).
    await createAccount(system, { name: `sec-sim-${Date.now()}`, provider: "simulator", models: [TOKEN_MODEL] });
    app = await startApp();
  }, 240_000);

  afterAll(async () => {
    await app?.stop();
    await sql?.end();
    await closeDb();
  });

  const get = (path: string, headers: Record<string, string>) => fetch(`${app.url}${path}`, { headers });
  const errorOf = async (res: Response) => ((await res.json()) as { error: { message: string } }).error.message;

  describe("HMAC signing", () => {
    it("refuses an unsigned request from a key that requires signing, saying what to send", async () => {
      const res = await get("/api/v1/models", { authorization: `Bearer ${keys.signed!.key}` });
      expect(res.status).toBe(401);
      expect(await errorOf(res)).toContain("x-promptgate-signature");
    });

    it("accepts a correctly signed GET and POST, and refuses the same request replayed", async () => {
      const h = sign(signingSecret, "GET", "/api/v1/models?x=1", "");
      const ok = await get("/api/v1/models?x=1", { authorization: `Bearer ${keys.signed!.key}`, ...h });
      expect(ok.status).toBe(200);
      const replay = await get("/api/v1/models?x=1", { authorization: `Bearer ${keys.signed!.key}`, ...h });
      expect(replay.status).toBe(401);
      expect(await errorOf(replay)).toMatch(/already used/);

      const body = JSON.stringify({ model: "no-such-model", messages: [{ role: "user", content: "hi" }] });
      const post = await fetch(`${app.url}/api/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${keys.signed!.key}`, "content-type": "application/json", ...sign(signingSecret, "POST", "/api/v1/chat/completions", body) },
        body,
      });
      // Past authentication: the model does not exist.
      expect(post.status).toBe(404);
    });

    it("refuses a signature over a different body, path or method", async () => {
      const body = JSON.stringify({ model: "m", messages: [] });
      const h = sign(signingSecret, "POST", "/api/v1/chat/completions", body);
      const tampered = await fetch(`${app.url}/api/v1/chat/completions`, {
        method: "POST", headers: { authorization: `Bearer ${keys.signed!.key}`, "content-type": "application/json", ...h }, body: body.replace('"m"', '"n"'),
      });
      expect(tampered.status).toBe(401);
      expect(await errorOf(tampered)).toBe("The request signature does not match");
      const otherPath = await get("/api/v1/usage", { authorization: `Bearer ${keys.signed!.key}`, ...sign(signingSecret, "GET", "/api/v1/models", "") });
      expect(otherPath.status).toBe(401);
    });

    it("refuses a correctly signed request older than five minutes", async () => {
      const old = Math.floor(Date.now() / 1000) - 301;
      const res = await get("/api/v1/models", { authorization: `Bearer ${keys.signed!.key}`, ...sign(signingSecret, "GET", "/api/v1/models", "", old) });
      expect(res.status).toBe(401);
      expect(await errorOf(res)).toMatch(/within 5 minutes/);
    });

    it("leaves keys without signing alone", async () => {
      expect((await get("/api/v1/models", { authorization: `Bearer ${keys.plain!.key}` })).status).toBe(200);
    });

    it("stores seen signatures with an expiry, for replay protection across instances", async () => {
      const { rows } = await sql.query<{ n: string }>(`SELECT count(*) AS n FROM "SignatureNonce" WHERE "expiresAt" > now()`);
      expect(Number(rows[0]!.n)).toBeGreaterThanOrEqual(2);
    });
  });

  describe("service tokens", () => {
    const token = (body: object, headers: Record<string, string> = {}) =>
      fetch(`${app.url}/api/auth/token`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
    type Tokens = { access_token: string; refresh_token: string; expires_in: number; token_type: string };

    it("exchanges an API key for a 15-minute JWT and a refresh token at /api/auth/token, not Auth.js", async () => {
      const res = await token({ grant_type: "api_key" }, { authorization: `Bearer ${keys.plain!.key}` });
      expect(res.status).toBe(200);
      const t = (await res.json()) as Tokens;
      expect(t).toMatchObject({ token_type: "Bearer", expires_in: 900 });
      expect(t.access_token.split(".")).toHaveLength(3);
      expect(t.refresh_token).toMatch(/^pgr_/);
      const claims = JSON.parse(Buffer.from(t.access_token.split(".")[1]!, "base64url").toString()) as { exp: number; iat: number; sub: string };
      expect(claims.exp - claims.iat).toBe(900);
      expect(claims.sub).toBe(keys.plain!.id);
      // Auth.js still owns its own routes beside it.
      expect((await fetch(`${app.url}/api/auth/session`)).status).toBe(200);
      expect((await fetch(`${app.url}/api/auth/token`)).status).toBe(405);
    });

    it("lets the access token call the gateway wherever the key could, the OpenAI SDK included", async () => {
      const t = (await (await token({ grant_type: "api_key", api_key: keys.plain!.key })).json()) as Tokens;
      const client = new OpenAI({ apiKey: t.access_token, baseURL: `${app.url}/api/v1`, maxRetries: 0 });
      const models = await client.models.list();
      expect(models.data.map((m) => m.id)).toContain(TOKEN_MODEL);
      await expect(new OpenAI({ apiKey: `${t.access_token}x`, baseURL: `${app.url}/api/v1`, maxRetries: 0 }).models.list()).rejects.toMatchObject({ status: 401 });
      // Not an admin key: the admin API stays closed to its tokens too.
      expect((await get("/api/admin/keys", { authorization: `Bearer ${t.access_token}` })).status).toBe(403);
      const admin = (await (await token({ grant_type: "api_key" }, { authorization: `Bearer ${keys.admin!.key}` })).json()) as Tokens;
      expect((await get("/api/admin/keys", { authorization: `Bearer ${admin.access_token}` })).status).toBe(200);
    });

    it("rotates the refresh token, and on reuse of a spent one revokes the whole family", async () => {
      const first = (await (await token({ grant_type: "api_key", api_key: keys.plain!.key })).json()) as Tokens;
      const r1 = await token({ grant_type: "refresh_token", refresh_token: first.refresh_token });
      expect(r1.status).toBe(200);
      const second = (await r1.json()) as Tokens;
      expect(second.refresh_token).not.toBe(first.refresh_token);
      expect((await get("/api/v1/models", { authorization: `Bearer ${second.access_token}` })).status).toBe(200);

      const reuse = await token({ grant_type: "refresh_token", refresh_token: first.refresh_token });
      expect(reuse.status).toBe(401);
      expect(await errorOf(reuse)).toMatch(/already used/);
      // The thief's and the legitimate client's tokens alike are dead now.
      const next = await token({ grant_type: "refresh_token", refresh_token: second.refresh_token });
      expect(next.status).toBe(401);
      expect(await errorOf(next)).toMatch(/revoked/);
      const access = await get("/api/v1/models", { authorization: `Bearer ${second.access_token}` });
      expect(access.status).toBe(401);
      expect(await errorOf(access)).toBe("This API key has been revoked");
      const { rows } = await sql.query(`SELECT "revokedReason" FROM "ServiceTokenFamily" WHERE "revokedAt" IS NOT NULL`);
      expect(rows.map((r) => r.revokedReason)).toContain("refresh token reuse");
    });

    it("refuses an expired, a tampered and a forged access token", async () => {
      const t = (await (await token({ grant_type: "api_key", api_key: keys.plain!.key })).json()) as Tokens;
      const [h, p] = t.access_token.split(".") as [string, string, string];
      const claims = JSON.parse(Buffer.from(p, "base64url").toString());
      const key = Buffer.from(hkdfSync("sha256", process.env.AUTH_SECRET!, "promptgate", "service-access-token-v1", 32));
      const mint = (c: object, k: Buffer = key) => {
        const head = `${h}.${Buffer.from(JSON.stringify(c)).toString("base64url")}`;
        return `${head}.${createHmac("sha256", k).update(head).digest("base64url")}`;
      };
      const expired = await get("/api/v1/models", { authorization: `Bearer ${mint({ ...claims, exp: Math.floor(Date.now() / 1000) - 1 })}` });
      expect(expired.status).toBe(401);
      expect(await errorOf(expired)).toBe("This API key has expired");
      const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: keys.admin!.id })).toString("base64url")}.${t.access_token.split(".")[2]}`;
      expect((await get("/api/v1/models", { authorization: `Bearer ${tampered}` })).status).toBe(401);
      const forged = mint({ ...claims, sub: keys.admin!.id }, Buffer.alloc(32, 7));
      expect((await get("/api/admin/keys", { authorization: `Bearer ${forged}` })).status).toBe(401);
    });

    it("stops honouring tokens of a revoked API key and refuses to refresh them", async () => {
      const t = (await (await token({ grant_type: "api_key", api_key: keys.revokable!.key })).json()) as Tokens;
      expect((await get("/api/v1/models", { authorization: `Bearer ${t.access_token}` })).status).toBe(200);
      await revokeApiKey(system, keys.revokable!.id);
      let status = 200;
      for (let i = 0; i < 40 && status === 200; i++) {
        if (i) await new Promise((r) => setTimeout(r, 100));
        status = (await get("/api/v1/models", { authorization: `Bearer ${t.access_token}` })).status;
      }
      expect(status).toBe(401);
      expect((await token({ grant_type: "refresh_token", refresh_token: t.refresh_token })).status).toBe(401);
      expect((await token({ grant_type: "api_key", api_key: keys.revokable!.key })).status).toBe(401);
    });

    it("answers malformed token requests with a 400 that names the problem", async () => {
      const res = await token({ grant_type: "password" });
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toMatch(/grant_type/);
    });
  });
});
