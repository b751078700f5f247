// Single sign-on in Chromium (issue 18, section 2): the console's "Sign in with …" button, a real
// OpenID Connect provider on loopback (tests/support/oidc-provider.ts) with its own login page,
// and the redirect back. The e2e server has no SSO, so this file starts its own production server
// on the same database with the OIDC settings (and PASSWORD_LOGIN=false).
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort, startApp, type AppServer } from "../support/app-server";
import { checkA11y, launchBrowser, newContext, screenshot } from "../support/browser";
import { startTestIdp, type TestIdp } from "../support/oidc-provider";

const databaseUrl = inject("databaseUrl");
const adminEmail = inject("adminEmail");
const adminPassword = inject("adminPassword");
const run = randomBytes(3).toString("hex");

let app: AppServer;
// Next reports any loopback address as "localhost", so Auth.js's redirect URI is on localhost: the browser uses that URL.
let appUrl: string;
let idp: TestIdp;
let browser: Browser;
let db: pg.Client;

async function roleOf(email: string): Promise<string | undefined> {
  const { rows } = await db.query<{ role: string }>(`SELECT role FROM "User" WHERE email = $1`, [email]);
  return rows[0]?.role;
}

/** A person at a fresh browser: the console's SSO button, the IdP's form, back to the console. */
async function signInWithSso(username: string): Promise<Page> {
  const context = await newContext(browser, appUrl);
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByRole("button", { name: "Sign in with Acme SSO", exact: true }).waitFor();
  expect(await page.getByLabel("Password").count(), "PASSWORD_LOGIN=false shows no password form").toBe(0);
  await page.getByRole("button", { name: "Sign in with Acme SSO", exact: true }).click();
  await page.waitForURL((url) => url.origin === idp.issuer);
  await page.getByLabel("Username").fill(username);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForURL((url) => url.origin === appUrl);
  return page;
}

describe("single sign-on in the browser", () => {
  beforeAll(async () => {
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const port = await freePort();
    appUrl = `http://localhost:${port}`;
    idp = await startTestIdp(appUrl);
    app = await startApp(
      {
        DATABASE_URL: databaseUrl,
        AUTH_SECRET: randomBytes(32).toString("base64url"),
        ENCRYPTION_KEY: randomBytes(32).toString("hex"),
        ...idp.appEnv({
          OIDC_DISPLAY_NAME: "Acme SSO",
          OIDC_ALLOWED_DOMAINS: "acme.test",
          OIDC_SCOPES: "openid email profile groups",
          OIDC_ROLE_CLAIM: "groups",
          OIDC_ROLE_MAP: "promptgate-admins=admin,promptgate-editors=editor",
          PASSWORD_LOGIN: "false",
          // The e2e seed's admin is this server's first-start admin: the break-glass account.
          ADMIN_EMAIL: adminEmail,
        }),
      },
      { port },
    );
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await idp?.stop();
    await db?.end();
  });

  it("sso #18.2 e2e: signing in with SSO creates the user with the role mapped from their group", async () => {
    const email = `ed-${run}@acme.test`;
    idp.setAccount(`ed-${run}`, { email, name: "Ed Editor", groups: ["promptgate-editors"] });
    expect(await roleOf(email)).toBeUndefined();
    const page = await signInWithSso(`ed-${run}`);
    await page.getByRole("heading", { level: 1, name: "Overview", exact: true }).waitFor();
    expect(await roleOf(email)).toBe("editor");
    await screenshot(page, "sso-signed-in");
    await page.context().close();
  });

  it("sso #18.2 e2e: a user from a domain that is not allowed is refused with a clear message", async () => {
    const email = `mallory-${run}@elsewhere.test`;
    idp.setAccount(`mallory-${run}`, { email, groups: ["promptgate-admins"] });
    const page = await signInWithSso(`mallory-${run}`);
    expect(new URL(page.url()).pathname).toBe("/login");
    // Next's route announcer is an (empty) alert too: the message is the one with text.
    const alert = page.getByRole("alert").filter({ hasText: "Sign-in refused" });
    await alert.waitFor();
    expect(await alert.textContent()).toContain("your email domain is not allowed to sign in here");
    expect(await roleOf(email)).toBeUndefined();
    await checkA11y(page, "sign-in refused (domain)");
    await screenshot(page, "sso-refused-domain");
    await page.context().close();
  });

  it("sso #18.2 e2e: a changed group claim changes the role on the next sign-in", async () => {
    const email = `ada-${run}@acme.test`;
    idp.setAccount(`ada-${run}`, { email, name: "Ada Admin", groups: ["promptgate-admins"] });
    const first = await signInWithSso(`ada-${run}`);
    expect(await roleOf(email)).toBe("admin");
    await first.goto("/users");
    await first.getByRole("heading", { level: 1, name: "Users", exact: true }).waitFor();

    idp.setAccount(`ada-${run}`, { email, name: "Ada Admin", groups: ["promptgate-editors"] });
    const second = await signInWithSso(`ada-${run}`);
    expect(await roleOf(email)).toBe("editor");
    await second.goto("/users");
    expect(new URL(second.url()).pathname).toBe("/forbidden");
    // The session issued while she was an admin ended with the change.
    await first.goto("/users");
    expect(new URL(first.url()).pathname).toBe("/login");
    await first.context().close();
    await second.context().close();
  });

  it("sso #18.2 e2e: with PASSWORD_LOGIN=false the first-start admin signs in with a password at /login?break-glass", async () => {
    const context = await newContext(browser, appUrl);
    const page = await context.newPage();
    await page.goto("/login?break-glass");
    await page.getByText("Break-glass sign-in for the first-start administrator.").waitFor();
    await checkA11y(page, "break-glass sign-in");
    await page.getByLabel("Email").fill(adminEmail);
    await page.getByLabel("Password").fill(adminPassword);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL((url) => url.pathname !== "/login");
    await page.getByRole("heading", { level: 1, name: "Overview", exact: true }).waitFor();
    await context.close();
  });
});
