// Single sign-on (issue 18, section 2) over real HTTP: the production server,
// Auth.js as shipped, and a real OpenID Connect provider on loopback
// (tests/support/oidc-provider.ts). The browser's part (redirects and cookies
// across the app and the issuer) is played by a small cookie jar; the
// Chromium run of the same flows is tests/e2e/sso.test.ts.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb, db } from "@/lib/db";
import { DEFAULT_WORKSPACE_ID } from "@/lib/core";
import { authenticate, changeOwnPassword, insertUser, setUserDisabled, signInWithSso } from "@/lib/users";
import { createWorkspace, setMember } from "@/lib/workspaces";
import { freePort, startApp, type AppServer } from "../../support/app-server";
import { startTestIdp, type TestIdp } from "../../support/oidc-provider";

/** One browser's cookies (the app's and the issuer's never share a name, so one map holds both). */
class Browser {
  private readonly cookies = new Map<string, string>();

  private apply(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=.*1970/i.test(a));
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    this.apply(res);
    return res;
  }

  /** Follows redirects like a browser, across origins, and returns the last response and its URL. */
  async follow(url: string, init: RequestInit = {}): Promise<{ res: Response; url: string }> {
    let res = await this.request(url, init);
    for (let hops = 0; res.status >= 300 && res.status < 400 && hops < 20; hops++) {
      await res.arrayBuffer();
      url = new URL(res.headers.get("location")!, url).toString();
      res = await this.request(url);
    }
    return { res, url };
  }
}

const SESSION = "authjs.session-token";

afterAll(async () => {
  await closeDb();
});

/** The whole code flow: the app's sign-in, the IdP's login form, the callback. Returns where the browser lands. */
async function ssoSignInAt(appUrl: string, idp: TestIdp, browser: Browser, username: string): Promise<URL> {
  const csrf = await browser.request(`${appUrl}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const start = await browser.follow(`${appUrl}/api/auth/signin/oidc`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrfToken, callbackUrl: `${appUrl}/` }),
  });
  expect(start.url.startsWith(`${idp.issuer}/interaction/`), `expected the IdP's login form, got ${start.url}`).toBe(true);
  await start.res.arrayBuffer();
  const done = await browser.follow(`${start.url}/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ login: username }),
  });
  await done.res.arrayBuffer();
  return new URL(done.url);
}

/** A session route: 404 (no such prompt) when the session is good, 401 when it is not. */
async function sessionStatusAt(appUrl: string, browser: Browser): Promise<number> {
  const res = await browser.request(`${appUrl}/api/console/prompts/sso-probe-missing`);
  await res.arrayBuffer();
  return res.status;
}

describe("single sign-on (OIDC)", () => {
  let app: AppServer;
  let idp: TestIdp;
  // Next reports any loopback address as "localhost" (NextURL), so Auth.js builds its redirect URI on localhost:
  // the app's public URL (AUTH_URL) is http://localhost:<port>, as a browser would use it.
  let appUrl: string;
  const run = randomBytes(3).toString("hex");
  const breakGlassEmail = `breakglass-${run}@acme.test`;
  const breakGlassPassword = `pw-${randomBytes(9).toString("base64url")}`;
  const passwordUser = `password-${run}@acme.test`;
  const passwordUserPassword = `pw-${randomBytes(9).toString("base64url")}`;

  beforeAll(async () => {
    await insertUser({ email: breakGlassEmail, name: "Seeded admin", role: "admin", password: breakGlassPassword });
    await insertUser({ email: passwordUser, name: "Password user", role: "editor", password: passwordUserPassword });
    const port = await freePort();
    appUrl = `http://localhost:${port}`;
    idp = await startTestIdp(appUrl);
    app = await startApp(
      idp.appEnv({
        OIDC_DISPLAY_NAME: "Acme SSO",
        OIDC_ALLOWED_DOMAINS: "acme.test, Acme.example",
        OIDC_SCOPES: "openid email profile groups",
        OIDC_ROLE_CLAIM: "groups",
        OIDC_ROLE_MAP: "pg-admins=admin,pg-editors=editor",
        PASSWORD_LOGIN: "false",
        ADMIN_EMAIL: breakGlassEmail,
      }),
      { port },
    );
  }, 600_000);

  afterAll(async () => {
    await app?.stop();
    await idp?.stop();
  });

  const ssoSignIn = (browser: Browser, username: string) => ssoSignInAt(appUrl, idp, browser, username);
  const signedInAs = (browser: Browser) => sessionStatusAt(appUrl, browser);

  it("sso #18.2: the first SSO sign-in creates the user (JIT) with the role mapped from the groups claim, and audits it", async () => {
    const email = `jit-${run}@acme.test`;
    idp.setAccount(`jit-${run}`, { email, name: "Jit User", groups: ["pg-editors", "unrelated"] });
    const browser = new Browser();
    const landed = await ssoSignIn(browser, `jit-${run}`);
    expect(landed.pathname).toBe("/");
    expect(browser.cookie(SESSION)).toBeTruthy();
    expect(await signedInAs(browser)).toBe(404);
    const user = await db.user.findUniqueOrThrow({ where: { email } });
    expect(user.role).toBe("editor");
    expect(user.name).toBe("Jit User");
    // A member of the Default workspace with that role (workspaces), not an instance admin.
    expect(user.instanceAdmin).toBe(false);
    expect(await db.membership.findMany({ where: { userId: user.id }, select: { workspaceId: true, role: true } })).toEqual([{ workspaceId: DEFAULT_WORKSPACE_ID, role: "editor" }]);
    const audit = await db.auditLog.findMany({ where: { targetId: user.id }, orderBy: { createdAt: "asc" } });
    expect(audit.map((a) => a.action)).toEqual(["user.sso.create", "auth.sso.sign_in"]);
  });

  it("sso #18.2: a user from a domain that is not allowed is refused with a clear message, and no user is created", async () => {
    const email = `outsider-${run}@elsewhere.test`;
    idp.setAccount(`outsider-${run}`, { email, groups: ["pg-admins"] });
    const browser = new Browser();
    const landed = await ssoSignIn(browser, `outsider-${run}`);
    expect(landed.pathname).toBe("/login");
    expect(landed.searchParams.get("error")).toBe("sso_domain");
    expect(browser.cookie(SESSION)).toBeUndefined();
    expect(await db.user.findUnique({ where: { email } })).toBeNull();
    const page = await (await browser.request(`${appUrl}${landed.pathname}${landed.search}`)).text();
    expect(page).toContain("email domain is not allowed");
    const refused = await db.auditLog.findFirst({ where: { action: "auth.sso.refused", actorEmail: "system:sso" }, orderBy: { createdAt: "desc" } });
    expect(refused?.after).toMatchObject({ email, reason: "domain" });
  });

  it("sso #18.2: a changed group claim changes the role on the next sign-in and ends the sessions issued under the old role", async () => {
    const email = `mover-${run}@acme.example`;
    idp.setAccount(`mover-${run}`, { email, groups: ["pg-admins"] });
    const first = new Browser();
    await ssoSignIn(first, `mover-${run}`);
    expect((await db.user.findUniqueOrThrow({ where: { email } })).role).toBe("admin");
    expect((await db.user.findUniqueOrThrow({ where: { email } })).instanceAdmin).toBe(true);
    expect(await signedInAs(first)).toBe(404);

    idp.setAccount(`mover-${run}`, { email, groups: ["pg-editors"] });
    const second = new Browser();
    await ssoSignIn(second, `mover-${run}`);
    const user = await db.user.findUniqueOrThrow({ where: { email } });
    expect(user.role).toBe("editor");
    expect(user.instanceAdmin).toBe(false);
    expect((await db.membership.findFirstOrThrow({ where: { userId: user.id, workspaceId: DEFAULT_WORKSPACE_ID } })).role).toBe("editor");
    expect(await signedInAs(second)).toBe(404);
    expect(await signedInAs(first), "the admin session from before the change").toBe(401);
    const change = await db.auditLog.findFirst({ where: { targetId: user.id, action: "user.sso.role" } });
    expect(change).toMatchObject({ before: { role: "admin" }, after: { role: "editor", sessionsEnded: true } });

    // No mapped group at all: the default role (viewer), not the last one.
    idp.setAccount(`mover-${run}`, { email, groups: [] });
    await ssoSignIn(new Browser(), `mover-${run}`);
    expect((await db.user.findUniqueOrThrow({ where: { email } })).role).toBe("viewer");
  });

  it("sso #18.2: a disabled user is refused on SSO sign-in with a clear message, and their live session ends", async () => {
    const email = `disabled-${run}@acme.test`;
    idp.setAccount(`disabled-${run}`, { email, groups: ["pg-editors"] });
    const live = new Browser();
    await ssoSignIn(live, `disabled-${run}`);
    expect(await signedInAs(live)).toBe(404);
    const user = await db.user.findUniqueOrThrow({ where: { email } });
    await setUserDisabled({ kind: "system", name: "test" }, { id: user.id, disabled: true });
    expect(await signedInAs(live), "the session from before the disable").toBe(401);
    const browser = new Browser();
    const landed = await ssoSignIn(browser, `disabled-${run}`);
    expect(landed.searchParams.get("error")).toBe("sso_disabled");
    expect(browser.cookie(SESSION)).toBeUndefined();
    expect(await (await browser.request(landed.toString())).text()).toContain("This account is disabled");
  });

  it("sso #18.2: two first sign-ins of one new user at once (two tabs) both succeed, as one user created once", async () => {
    const email = `twotabs-${run}@acme.test`;
    const identity = { email, name: "Two Tabs", mappedRole: "editor", defaultRole: "viewer", provider: "oidc" } as const;
    const results = await Promise.all([signInWithSso(identity, null), signInWithSso(identity, null), signInWithSso(identity, null)]);
    const ids = results.map((r) => (r.ok ? r.user.id : r.reason));
    expect(new Set(ids).size).toBe(1);
    const user = await db.user.findUniqueOrThrow({ where: { email } });
    expect(ids[0]).toBe(user.id);
    expect(await db.auditLog.count({ where: { targetId: user.id, action: "user.sso.create" } })).toBe(1);
  });

  it("sso #18.2: a user created by SSO has no password: password sign-in fails, and changing it says why", async () => {
    const email = `nopassword-${run}@acme.test`;
    const result = await signInWithSso({ email, name: "No Password", mappedRole: null, defaultRole: "viewer", provider: "oidc" }, null);
    if (!result.ok) throw new Error("expected a user");
    expect(await authenticate(email, "!sso-only")).toBeNull();
    const me = { kind: "user", user: { id: result.user.id, email, name: "No Password", role: "viewer" } } as const;
    await expect(changeOwnPassword(me, { currentPassword: "!sso-only", newPassword: "a brand new password 1" })).rejects.toMatchObject({
      code: "validation_error",
      message: expect.stringMatching(/signs in with single sign-on/),
    });
  });

  it("sso #18.2: an IdP that does not vouch for the email (email_verified false) is refused", async () => {
    const email = `unverified-${run}@acme.test`;
    idp.setAccount(`unverified-${run}`, { email, emailVerified: false });
    const browser = new Browser();
    const landed = await ssoSignIn(browser, `unverified-${run}`);
    expect(landed.searchParams.get("error")).toBe("sso_email");
    expect(await db.user.findUnique({ where: { email } })).toBeNull();
  });

  async function passwordSignIn(email: string, password: string): Promise<{ session: boolean; location: string }> {
    const browser = new Browser();
    const csrf = await browser.request(`${appUrl}/api/auth/csrf`);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const res = await browser.request(`${appUrl}/api/auth/callback/credentials`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrfToken, email, password, callbackUrl: `${appUrl}/` }),
    });
    await res.arrayBuffer();
    return { session: browser.cookie(SESSION) !== undefined, location: res.headers.get("location") ?? "" };
  }

  it("sso #18.2: PASSWORD_LOGIN=false refuses a password sign-in on the server (right password), and the login page shows no password form", async () => {
    const refused = await passwordSignIn(passwordUser, passwordUserPassword);
    expect(refused.session).toBe(false);
    expect(refused.location).toContain("code=password_login_disabled");
    const entry = await db.auditLog.findFirst({ where: { action: "auth.password.refused" }, orderBy: { createdAt: "desc" } });
    expect(entry?.after).toMatchObject({ email: passwordUser, reason: "password_login_disabled" });

    const page = await (await fetch(`${appUrl}/login`)).text();
    expect(page).toContain("Sign in with Acme SSO");
    expect(page).not.toContain('type="password"');
  });

  it("sso #18.2: with PASSWORD_LOGIN=false the first-start admin (ADMIN_EMAIL) keeps a break-glass password sign-in, audited", async () => {
    const ok = await passwordSignIn(breakGlassEmail, breakGlassPassword);
    expect(ok.session).toBe(true);
    const user = await db.user.findUniqueOrThrow({ where: { email: breakGlassEmail } });
    const entry = await db.auditLog.findFirst({ where: { action: "auth.break_glass.sign_in", targetId: user.id } });
    expect(entry).not.toBeNull();
    // A wrong password is still wrong.
    expect((await passwordSignIn(breakGlassEmail, "not-the-password")).session).toBe(false);
    // Signing in with SSO too never re-maps the break-glass account's role (here: in no mapped group).
    idp.setAccount(`breakglass-${run}`, { email: breakGlassEmail, groups: [] });
    expect((await ssoSignIn(new Browser(), `breakglass-${run}`)).pathname).toBe("/");
    expect((await db.user.findUniqueOrThrow({ where: { email: breakGlassEmail } })).role).toBe("admin");
    // The break-glass page shows the password form.
    const page = await (await fetch(`${appUrl}/login?break-glass=1`)).text();
    expect(page).toContain('type="password"');
  });

  it("sso #18.2: an identity provider that cannot be reached sends the browser back to sign-in with a message, not a 500", async () => {
    await idp.stop();
    const browser = new Browser();
    const csrf = await browser.request(`${appUrl}/api/auth/csrf`);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const { res, url } = await browser.follow(`${appUrl}/api/auth/signin/oidc`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrfToken, callbackUrl: `${appUrl}/` }),
    });
    expect(new URL(url).pathname).toBe("/login");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Single sign-on did not complete");
  });
});

// OIDC_ROLE_MAP's `value=role@workspace-slug` and OIDC_DEFAULT_WORKSPACE (issue 18: "→ editor in a named
// workspace"; JIT users get "the configured default workspace and role"; the session cut-off on a
// membership change works as for a role change). A second app, configured with workspaces.
describe("single sign-on (OIDC) into named workspaces", () => {
  let app: AppServer;
  let idp: TestIdp;
  let appUrl: string;
  const run = randomBytes(3).toString("hex");
  const root = { kind: "system", name: "test" } as const;
  const slug = { home: `home-${run}`, a: `team-a-${run}`, b: `team-b-${run}`, ghost: `ghost-${run}` };
  const ids: Record<"home" | "a" | "b", string> = { home: "", a: "", b: "" };

  beforeAll(async () => {
    ids.home = (await createWorkspace(root, { name: "Home", slug: slug.home })).id;
    ids.a = (await createWorkspace(root, { name: "Team A", slug: slug.a })).id;
    ids.b = (await createWorkspace(root, { name: "Team B", slug: slug.b })).id;
    const port = await freePort();
    appUrl = `http://localhost:${port}`;
    idp = await startTestIdp(appUrl);
    app = await startApp(
      idp.appEnv({
        OIDC_SCOPES: "openid email profile groups",
        OIDC_ROLE_CLAIM: "groups",
        OIDC_ROLE_MAP: [
          "pg-admins=admin",
          `team-a-viewers=viewer@${slug.a}`, `team-a-editors=editor@${slug.a}`,
          `team-b-viewers=viewer@${slug.b}`, `team-b-admins=admin@${slug.b}`,
          `ghost-editors=editor@${slug.ghost}`,
        ].join(","),
        OIDC_DEFAULT_WORKSPACE: slug.home,
      }),
      { port },
    );
  }, 600_000);

  afterAll(async () => {
    await app?.stop();
    await idp?.stop();
  });

  const signIn = (browser: Browser, username: string) => ssoSignInAt(appUrl, idp, browser, username);
  const sessionStatus = (browser: Browser) => sessionStatusAt(appUrl, browser);

  async function membershipsOf(email: string) {
    const user = await db.user.findUniqueOrThrow({ where: { email } });
    const rows = await db.membership.findMany({ where: { userId: user.id }, select: { workspaceId: true, role: true, source: true } });
    const name = Object.fromEntries(Object.entries(ids).map(([k, v]) => [v, k]));
    return Object.fromEntries(rows.map((m) => [name[m.workspaceId] ?? (m.workspaceId === DEFAULT_WORKSPACE_ID ? "default" : m.workspaceId), `${m.role}/${m.source}`]));
  }

  it("sso #18.2 gap: JIT sign-in lands the new user in OIDC_DEFAULT_WORKSPACE with OIDC_DEFAULT_ROLE, not in Default", async () => {
    const email = `jit-home-${run}@acme.test`;
    idp.setAccount(`jit-home-${run}`, { email, groups: [] });
    const browser = new Browser();
    expect((await signIn(browser, `jit-home-${run}`)).pathname).toBe("/");
    expect(await sessionStatus(browser)).toBe(404);
    expect(await membershipsOf(email)).toEqual({ home: "viewer/sso" });
  });

  it("sso #18.2 gap: a groups claim value mapped to editor@team-a makes the user an editor in team-a (highest role wins), audited", async () => {
    const email = `team-a-${run}@acme.test`;
    idp.setAccount(`team-a-${run}`, { email, groups: ["team-a-viewers", "team-a-editors", "unrelated"] });
    const browser = new Browser();
    expect((await signIn(browser, `team-a-${run}`)).pathname).toBe("/");
    expect(await sessionStatus(browser)).toBe(404);
    expect(await membershipsOf(email)).toEqual({ home: "viewer/sso", a: "editor/sso" });
    const user = await db.user.findUniqueOrThrow({ where: { email } });
    expect(user.instanceAdmin).toBe(false);
    const granted = await db.auditLog.findFirst({ where: { action: "workspace.member.sso.set", targetId: ids.a, actorEmail: "system:sso" }, orderBy: { createdAt: "desc" } });
    expect(granted).toMatchObject({ workspaceId: null, before: null, after: { email, role: "editor", source: "sso" } });
    // The console's switcher lists the granted workspace.
    await db.user.update({ where: { id: user.id }, data: { currentWorkspaceId: ids.a } });
    expect(await sessionStatus(browser)).toBe(404);
  });

  it("sso #18.2 gap: a changed claim on the next sign-in moves the membership (team-a removed, team-b granted) and ends the older session", async () => {
    const email = `mover-ws-${run}@acme.test`;
    idp.setAccount(`mover-ws-${run}`, { email, groups: ["team-a-editors"] });
    const first = new Browser();
    await signIn(first, `mover-ws-${run}`);
    expect(await membershipsOf(email)).toEqual({ home: "viewer/sso", a: "editor/sso" });
    expect(await sessionStatus(first)).toBe(404);

    // The same claims again change nothing, and end no session.
    await signIn(new Browser(), `mover-ws-${run}`);
    expect(await sessionStatus(first), "a sign-in that changed nothing").toBe(404);

    idp.setAccount(`mover-ws-${run}`, { email, groups: ["team-b-viewers"] });
    const second = new Browser();
    await signIn(second, `mover-ws-${run}`);
    expect(await membershipsOf(email)).toEqual({ home: "viewer/sso", b: "viewer/sso" });
    expect(await sessionStatus(second)).toBe(404);
    expect(await sessionStatus(first), "the session from before the membership change").toBe(401);
    const user = await db.user.findUniqueOrThrow({ where: { email } });
    const removed = await db.auditLog.findFirst({ where: { action: "workspace.member.sso.remove", targetId: ids.a } , orderBy: { createdAt: "desc" } });
    expect(removed).toMatchObject({ workspaceId: null, before: { email, role: "editor", source: "sso" }, after: { email, sessionsEnded: true } });

    // A role change within a workspace ends the sessions too.
    idp.setAccount(`mover-ws-${run}`, { email, groups: ["team-b-admins"] });
    const third = new Browser();
    await signIn(third, `mover-ws-${run}`);
    expect(await membershipsOf(email)).toEqual({ home: "viewer/sso", b: "admin/sso" });
    expect(await sessionStatus(second)).toBe(401);
    expect(await sessionStatus(third)).toBe(404);
    const changed = await db.auditLog.findFirst({ where: { action: "workspace.member.sso.set", targetId: ids.b, after: { path: ["role"], equals: "admin" } } });
    expect(changed).toMatchObject({ before: { email, role: "viewer", source: "sso" }, after: { email, role: "admin", source: "sso", sessionsEnded: true } });
    expect((await db.user.findUniqueOrThrow({ where: { email } })).sessionVersion).toBe(user.sessionVersion + 1);
  });

  it("sso #18.2 gap: a mapped workspace slug that does not exist is skipped with a warning (no secret logged), and the sign-in completes", async () => {
    const email = `ghost-${run}@acme.test`;
    idp.setAccount(`ghost-${run}`, { email, groups: ["ghost-editors", "team-a-viewers"] });
    const browser = new Browser();
    expect((await signIn(browser, `ghost-${run}`)).pathname).toBe("/");
    expect(await sessionStatus(browser)).toBe(404);
    expect(await membershipsOf(email)).toEqual({ home: "viewer/sso", a: "viewer/sso" });
    const logged = app.output().split("\n").filter((l) => l.includes(slug.ghost));
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join("\n")).toMatch(/no workspace has this slug/);
    expect(logged.join("\n")).not.toContain(idp.clientSecret);
    expect(logged.join("\n")).not.toContain(email);
  });

  it("sso #18.2 gap: memberships added by hand are left alone by SSO sign-ins (not removed, not re-mapped)", async () => {
    const email = `manual-${run}@acme.test`;
    idp.setAccount(`manual-${run}`, { email, groups: ["team-a-viewers"] });
    const first = new Browser();
    await signIn(first, `manual-${run}`);
    expect(await membershipsOf(email)).toEqual({ home: "viewer/sso", a: "viewer/sso" });
    // An instance admin adds the user to team-b by hand, and raises their team-a role by hand (the admin's from now on).
    await setMember(root, { workspaceId: ids.b, email, role: "editor" });
    await setMember(root, { workspaceId: ids.a, email, role: "admin" });
    expect(await membershipsOf(email)).toEqual({ home: "viewer/sso", a: "admin/manual", b: "editor/manual" });

    idp.setAccount(`manual-${run}`, { email, groups: ["team-b-admins"] });
    await signIn(new Browser(), `manual-${run}`);
    expect(await membershipsOf(email)).toEqual({ home: "viewer/sso", a: "admin/manual", b: "editor/manual" });
    expect(await sessionStatus(first), "nothing SSO manages changed").toBe(404);
  });
});
