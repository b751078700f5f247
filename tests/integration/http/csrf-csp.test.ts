// Cross-site request forgery on the JSON API a signed-in browser can reach
// (/api/admin/*, /api/console/*), and the page CSP for console paths that look
// like static files. Against a real `next start`, with real session cookies.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/lib/auth/api-keys";
import { closeDb } from "@/lib/db";
import { createPrompt } from "@/lib/prompts";
import { startApp, type AppServer } from "../../support/app-server";
import { makeCallers, rawRequest, type Callers } from "../../support/callers";

const system = { kind: "system", name: "test" } as const;

describe("session-cookie mutations and page CSP", () => {
  let app: AppServer;
  let callers: Callers;
  let sql: pg.Pool;
  const run = randomBytes(3).toString("hex");
  const prompt = `csp-${run}.txt`;

  const keyNamed = async (name: string) => (await sql.query(`SELECT "revokedAt" FROM "ApiKey" WHERE name = $1`, [name])).rows;
  const createKey = (headers: Record<string, string>, name: string) => rawRequest(app.url, "POST", "/api/admin/keys", headers, JSON.stringify({ name }));
  const cookie = () => ({ cookie: callers.admin.cookie! });
  const code = (text: string) => (JSON.parse(text) as { error?: { code?: string } }).error?.code;

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
    app = await startApp();
    callers = await makeCallers(app.url, "csrf");
    await createPrompt(system, { name: prompt, messages: [{ role: "user", content: "hi" }], config: { model: "csp-model" } });
  }, 600_000);

  afterAll(async () => {
    await app?.stop();
    await sql?.end();
    await closeDb();
  });

  describe("CSRF", () => {
    it("security #13.8 CSRF: a session-cookie mutation whose body is not declared JSON is refused with 415 and changes nothing", async () => {
      for (const type of ["text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", undefined]) {
        const name = `csrf-type-${run}-${type?.split(/[;/]/)[1] ?? "none"}`;
        const res = await createKey({ ...cookie(), origin: app.url, ...(type ? { "content-type": type } : {}) }, name);
        expect(res.status, `${type}: ${res.text}`).toBe(415);
        expect(code(res.text)).toBe("unsupported_media_type");
        expect(await keyNamed(name)).toHaveLength(0);
      }
    });

    it("security #13.8 CSRF: a session-cookie mutation from another origin, or with no Origin, is refused with 403 and changes nothing", async () => {
      const json = { ...cookie(), "content-type": "application/json" };
      for (const origin of ["https://evil.example", "null", `http://127.0.0.1:${app.port + 1}`, `http://localhost:${app.port}`, undefined]) {
        const name = `csrf-origin-${run}-${String(origin).replace(/\W/g, "")}`;
        const res = await createKey({ ...json, ...(origin ? { origin } : {}) }, name);
        expect(res.status, `${origin}: ${res.text}`).toBe(403);
        expect(code(res.text)).toBe("forbidden");
        expect(await keyNamed(name)).toHaveLength(0);
      }
      // A mutation without a body is checked for its origin too.
      const victim = await createApiKey(system, { name: `csrf-victim-${run}` });
      const revoke = await rawRequest(app.url, "DELETE", `/api/admin/keys/${victim.row.id}`, { ...cookie(), origin: "https://evil.example" });
      expect(revoke.status).toBe(403);
      expect((await keyNamed(`csrf-victim-${run}`))[0]?.revokedAt).toBeNull();
    });

    it("security #13.8 CSRF: the console's own same-origin JSON request goes through, and reads need no Origin", async () => {
      for (const type of ["application/json", "application/json; charset=utf-8"]) {
        const name = `csrf-ok-${run}-${type.length}`;
        const res = await createKey({ ...cookie(), origin: app.url, "content-type": type }, name);
        expect(res.status, res.text).toBe(201);
        expect(await keyNamed(name)).toHaveLength(1);
      }
      const list = await rawRequest(app.url, "GET", "/api/admin/keys", cookie());
      expect(list.status).toBe(200);
    });

    it("security #13.8 CSRF: API-key requests are not subject to the Origin check", async () => {
      const name = `csrf-key-${run}`;
      const res = await createKey({ authorization: `Bearer ${callers.adminKey.bearer}`, "content-type": "application/json", origin: "https://evil.example" }, name);
      expect(res.status, res.text).toBe(201);
      const noOrigin = await createKey({ authorization: `Bearer ${callers.adminKey.bearer}`, "content-type": "application/json" }, `${name}-2`);
      expect(noOrigin.status, noOrigin.text).toBe(201);
    });
  });

  describe("CSP", () => {
    it("security #13.8 CSP: a console page whose path ends in .txt, .svg, .png or .ico still gets the Content-Security-Policy", async () => {
      const page = await rawRequest(app.url, "GET", `/prompts/${prompt}`, cookie());
      expect(page.status).toBe(200);
      expect(page.text).toContain(prompt);
      expect(String(page.headers["content-security-policy"] ?? "")).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'/);
      for (const path of ["/prompts/x.svg", "/prompts/x.png", "/prompts/x.ico", "/prompts/robots.txt", "/usage/favicon.ico"]) {
        const res = await rawRequest(app.url, "GET", path, cookie());
        expect(res.headers["content-security-policy"], path).toMatch(/nonce-/);
      }
      // Signed out, the same path is a redirect to sign in, and carries the policy too.
      const out = await rawRequest(app.url, "GET", `/prompts/${prompt}`, {});
      expect(out.status).toBe(307);
      expect(String(out.headers.location)).toContain("/login");
      expect(out.headers["content-security-policy"]).toMatch(/default-src 'self'/);
    });

    it("still serves the real static files, signed out, without the proxy", async () => {
      const robots = await rawRequest(app.url, "GET", "/robots.txt", {});
      expect(robots.status).toBe(200);
      expect(robots.text).toContain("User-agent");
      const icon = await rawRequest(app.url, "GET", "/icon.svg", {});
      expect(icon.status).toBe(200);
      expect(String(icon.headers["content-type"])).toContain("image/svg+xml");
    });
  });
});
