// Callers for tests over real HTTP (RBAC, CSRF, fuzzing, hardening): console
// users of every role signed in through Auth.js's own HTTP endpoints, API keys
// of both kinds, and raw HTTP requests (node:http, so bodies and headers can be
// as malformed as a test needs).
import http from "node:http";
import { randomBytes } from "node:crypto";
import { createApiKey } from "@/lib/auth/api-keys";
import { insertUser } from "@/lib/users";
import { createWorkspace } from "@/lib/workspaces";

/** A signed-in browser also sends its page's Origin (lib/http/route.ts refuses cookie mutations without it). */
export type Caller = { cookie?: string; bearer?: string; origin?: string };

export async function signInOverHttp(baseUrl: string, email: string, password: string): Promise<string> {
  const csrfRes = await fetch(`${baseUrl}/api/auth/csrf`);
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
  const jar = csrfRes.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const res = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: jar },
    body: new URLSearchParams({ csrfToken, email, password, callbackUrl: `${baseUrl}/` }),
  });
  const session = res.headers.getSetCookie().find((c) => c.startsWith("authjs.session-token="));
  if (!session) throw new Error(`sign-in as ${email} failed (status ${res.status})`);
  return session.split(";")[0]!;
}

/** admin: an instance admin; workspaceAdmin: the admin of one team workspace only (not an instance admin). */
export type Callers = Record<"admin" | "workspaceAdmin" | "editor" | "viewer" | "anonymous" | "apiKey" | "adminKey", Caller>;

/** One user per role (created directly in the database) signed in over HTTP, and one key of each kind. */
export async function makeCallers(baseUrl: string, tag: string): Promise<Callers & { secrets: string[] }> {
  const run = `${tag}-${randomBytes(3).toString("hex")}`;
  const out: Partial<Callers> = { anonymous: {} };
  const secrets: string[] = [];
  for (const role of ["admin", "editor", "viewer"] as const) {
    const email = `${role}-${run}@security.test`;
    const password = `pw-${role}-${randomBytes(9).toString("base64url")}`;
    await insertUser({ email, name: `${role} ${run}`, role, password });
    secrets.push(password);
    out[role] = { cookie: await signInOverHttp(baseUrl, email, password), origin: baseUrl };
  }
  {
    const team = await createWorkspace({ kind: "system", name: "test" }, { name: `Team ${run}`, slug: `team-${run}` });
    const email = `workspace-admin-${run}@security.test`;
    const password = `pw-wsadmin-${randomBytes(9).toString("base64url")}`;
    await insertUser({ email, name: `workspace admin ${run}`, role: "admin", password, workspaceId: team.id, instanceAdmin: false });
    secrets.push(password);
    out.workspaceAdmin = { cookie: await signInOverHttp(baseUrl, email, password), origin: baseUrl };
  }
  const system = { kind: "system", name: "test" } as const;
  const key = await createApiKey(system, { name: `${run}-completions`, scopes: ["completions"] });
  const adminKey = await createApiKey(system, { name: `${run}-admin`, scopes: ["admin"] });
  out.apiKey = { bearer: key.key };
  out.adminKey = { bearer: adminKey.key };
  secrets.push(key.key, adminKey.key);
  return { ...(out as Callers), secrets };
}

export type RawResponse = { status: number; headers: http.IncomingHttpHeaders; text: string };

/** A request exactly as given: any bytes in the body, latin-1 bytes in headers. */
export function rawRequest(baseUrl: string, method: string, path: string, headers: Record<string, string>, body?: Buffer | string): Promise<RawResponse> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method, path: url.pathname + url.search, headers: { ...headers, ...(body !== undefined ? { "content-length": String(Buffer.byteLength(body)) } : {}) } },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (d: Buffer) => parts.push(d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(parts).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export function authHeaders(c: Caller): Record<string, string> {
  return { ...(c.cookie ? { cookie: c.cookie } : {}), ...(c.origin ? { origin: c.origin } : {}), ...(c.bearer ? { authorization: `Bearer ${c.bearer}` } : {}) };
}

/** app/api path with [param] segments filled for a probe. */
export function fillPath(path: string, params: Record<string, string> = {}): string {
  return path.replace(/\[(\w+)\]/g, (_, name: string) => encodeURIComponent(params[name] ?? (name === "id" ? "00000000-0000-4000-8000-000000000000" : `rbac-probe-missing-${name}`)));
}
