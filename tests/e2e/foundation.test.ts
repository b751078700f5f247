// The console's foundation, end to end against the production build: sign-in,
// every page (with an accessibility check and a screenshot), users, API keys,
// role enforcement on the server (including forged server-action requests),
// the audit trail, keyboard use and the narrow-screen layout.
//
// The steps share one browser and run in order: later steps use the users and
// keys that earlier ones created, as a person working through the console would.
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Browser, BrowserContext, Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { checkA11y, launchBrowser, newContext, screenshot, signIn, signOut } from "../support/browser";

const baseUrl = inject("baseUrl");
const adminEmail = inject("adminEmail");
const adminPassword = inject("adminPassword");
const databaseUrl = inject("databaseUrl");

const run = randomBytes(3).toString("hex");
const viewer = { name: "Vera Viewer", email: `viewer-${run}@e2e.test`, password: `viewer-pw-${randomBytes(8).toString("hex")}` };
const forgedEmail = `forged-${run}@e2e.test`;

// Sidebar label, path and page heading, in sidebar order.
const consolePages = [
  { label: "Overview", path: "/", heading: "Overview", shot: "overview" },
  { label: "Prompts", path: "/prompts", heading: "Prompts", shot: "prompts" },
  { label: "Experiments", path: "/experiments", heading: "Experiments", shot: "experiments" },
  { label: "Evaluations", path: "/evaluations", heading: "Evaluations", shot: "evaluations" },
  { label: "Accounts", path: "/accounts", heading: "Accounts", shot: "accounts" },
  { label: "Usage", path: "/usage", heading: "Usage", shot: "usage" },
  { label: "API keys", path: "/keys", heading: "API keys", shot: "keys" },
  { label: "Quotas", path: "/quotas", heading: "Quotas", shot: "quotas" },
  { label: "Webhooks", path: "/webhooks", heading: "Webhooks", shot: "webhooks" },
  { label: "Users", path: "/users", heading: "Users", shot: "users" },
  { label: "Workspaces", path: "/workspaces", heading: "Workspaces", shot: "workspaces-admin" },
  { label: "Audit log", path: "/audit", heading: "Audit log", shot: "audit" },
] as const;
const adminOnly = ["Evaluations", "API keys", "Webhooks", "Users", "Workspaces", "Audit log"];

type CapturedAction = { url: string; headers: Record<string, string>; body: string };

let browser: Browser;
let context: BrowserContext;
let page: Page;
let db: pg.Client;
let createUserRequest: CapturedAction | undefined;

const sidebar = (p: Page) => p.getByRole("navigation", { name: "Console" });
const heading = (p: Page, name: string) => p.getByRole("heading", { level: 1, name, exact: true });
const pathOf = (p: Page) => new URL(p.url()).pathname;

async function userCount(): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM "User"`);
  return Number(rows[0]?.n);
}

async function userByEmail(email: string): Promise<{ role: string; disabled: boolean } | undefined> {
  const { rows } = await db.query<{ role: string; disabled: boolean }>(`SELECT role, disabled FROM "User" WHERE email = $1`, [email]);
  return rows[0];
}

async function createUserViaForm(p: Page, user: { name: string; email: string; password: string; role: string }): Promise<void> {
  const form = p.getByRole("form", { name: "Create user" });
  await form.getByLabel("Name").fill(user.name);
  await form.getByLabel("Email").fill(user.email);
  await form.getByLabel("Role").selectOption(user.role);
  await form.getByLabel("Password").fill(user.password);
  await form.getByRole("button", { name: "Create user" }).click();
  await form.getByText(`Created ${user.email}`).waitFor();
  await p.getByTestId(`user-row-${user.email}`).waitFor();
}

describe("console foundation", () => {
  beforeAll(async () => {
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    browser = await launchBrowser();
    context = await newContext(browser, baseUrl);
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await db?.end();
  });

  it("serves the site icon the pages link to, and a robots.txt that keeps crawlers out", async () => {
    await page.goto("/login");
    const href = await page.locator('link[rel="icon"]').first().getAttribute("href");
    expect(href).toMatch(/^\/icon\.svg/);
    const icon = await page.request.get(href!);
    expect(icon.status()).toBe(200);
    expect(icon.headers()["content-type"]).toContain("image/svg+xml");
    const robots = await page.request.get("/robots.txt");
    expect(robots.status()).toBe(200);
    expect(await robots.text()).toContain("Disallow: /");
  });

  it("signs the seeded admin in through the form and lands on the overview showing the admin role", async () => {
    await page.goto("/users");
    // Signed-out visitors are sent to sign in, remembering where they were going.
    expect(pathOf(page)).toBe("/login");
    expect(new URL(page.url()).searchParams.get("callbackUrl")).toBe("/users");
    await page.goto("/login");
    await heading(page, "Promptgate").waitFor();
    await checkA11y(page, "login");
    await screenshot(page, "login");

    await page.getByLabel("Email").pressSequentially(adminEmail);
    await page.getByLabel("Password").pressSequentially(adminPassword);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => url.pathname === "/");
    await heading(page, "Overview").waitFor();
    expect(await page.getByTestId("current-role").textContent()).toBe("admin");
    expect(await page.getByTestId("current-user").textContent()).toContain(adminEmail);
  });

  it("renders every console page from the sidebar with no serious accessibility violations", async () => {
    const labels = await sidebar(page).getByRole("link").allTextContents();
    expect(labels).toEqual(consolePages.map((p) => p.label));
    for (const target of consolePages) {
      await sidebar(page).getByRole("link", { name: target.label, exact: true }).click();
      await page.waitForURL((url) => url.pathname === target.path);
      await heading(page, target.heading).waitFor();
      expect(await sidebar(page).getByRole("link", { name: target.label, exact: true }).getAttribute("aria-current")).toBe("page");
      await checkA11y(page, target.label);
      await screenshot(page, target.shot);
    }
  });

  it("lets the admin create a viewer, who then appears in the users table", async () => {
    await page.goto("/users");
    await heading(page, "Users").waitFor();
    const before = await userCount();

    // Keep the server-action request the form sends: step 7 replays it as the viewer.
    const record = async (req: Request) => {
      if (req.method() !== "POST" || !req.headers()["next-action"]) return;
      createUserRequest ??= { url: req.url(), headers: req.headers(), body: req.postData() ?? "" };
    };
    page.on("request", record);
    try {
      await createUserViaForm(page, { ...viewer, role: "viewer" });
    } finally {
      page.off("request", record);
    }

    const row = page.getByTestId(`user-row-${viewer.email}`);
    expect(await row.getByRole("cell").allTextContents()).toEqual(expect.arrayContaining([viewer.name, viewer.email, "viewer", "active"]));
    expect(await userCount()).toBe(before + 1);
    expect(await userByEmail(viewer.email)).toEqual({ role: "viewer", disabled: false });
    expect(createUserRequest?.body).toContain(viewer.email);
  });

  it("shows a new API key once, lists only its prefix after a reload, and revokes it", async () => {
    const keyName = `e2e key ${run}`;
    await sidebar(page).getByRole("link", { name: "API keys", exact: true }).click();
    await heading(page, "API keys").waitFor();

    const form = page.getByRole("form", { name: "Create API key" });
    await form.getByLabel("Name").fill(keyName);
    await form.getByRole("button", { name: "Create key" }).click();
    const shown = page.getByTestId("new-api-key");
    await shown.waitFor();
    const key = (await shown.textContent())?.trim() ?? "";
    expect(key).toMatch(/^pgk_[A-Za-z0-9]{40}$/);
    const prefix = key.slice(0, 12);

    await page.reload();
    await heading(page, "API keys").waitFor();
    const row = page.getByTestId(`key-row-${keyName}`);
    await row.waitFor();
    expect(await page.getByTestId("new-api-key").count()).toBe(0);
    expect(await page.content()).not.toContain(key);
    expect(await row.textContent()).toContain(prefix);
    expect(await row.getByText("active", { exact: true }).count()).toBe(1);

    await row.getByRole("button", { name: `Revoke ${keyName}` }).click();
    await row.getByRole("button", { name: "Confirm revoke" }).click();
    await row.getByText("revoked", { exact: true }).waitFor();
    expect(await row.getByRole("button", { name: /Revoke/ }).count()).toBe(0);
    const { rows } = await db.query<{ revokedAt: Date | null }>(`SELECT "revokedAt" FROM "ApiKey" WHERE name = $1`, [keyName]);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.revokedAt).toBeInstanceOf(Date);
  });

  it("signs the admin out", async () => {
    await signOut(page);
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await page.goto("/");
    expect(pathOf(page)).toBe("/login");
  });

  it("gives a viewer no admin links and sends them to /forbidden from admin pages", async () => {
    await signIn(page, viewer.email, viewer.password);
    await heading(page, "Overview").waitFor();
    expect(await page.getByTestId("current-role").textContent()).toBe("viewer");

    const labels = await sidebar(page).getByRole("link").allTextContents();
    expect(labels).toEqual(consolePages.map((p) => p.label).filter((l) => !adminOnly.includes(l)));

    for (const path of ["/users", "/keys", "/audit"]) {
      await page.goto(path);
      expect(pathOf(page)).toBe("/forbidden");
      await heading(page, "Not allowed").waitFor();
    }
    await checkA11y(page, "forbidden");
    await screenshot(page, "forbidden-viewer");
  });

  it("refuses the viewer's forged admin API call and replayed create-user server action", async () => {
    const api = await page.request.post("/api/admin/keys", { data: { name: "forged key", scopes: ["admin"] } });
    expect(api.status()).toBe(403);
    expect(await api.json()).toMatchObject({ error: { code: "forbidden" } });
    const { rows: forgedKeys } = await db.query(`SELECT id FROM "ApiKey" WHERE name = 'forged key'`);
    expect(forgedKeys).toHaveLength(0);

    expect(createUserRequest, "the admin's create-user server action was not captured in step 3").toBeDefined();
    const captured = createUserRequest!;
    const before = await userCount();
    // The admin's own request, byte for byte, but for a new email: replaying the
    // same email would fail on uniqueness even for an admin and prove nothing.
    const body = captured.body.replaceAll(viewer.email, forgedEmail);
    const headers = Object.fromEntries(Object.entries(captured.headers).filter(([name]) => !["cookie", "content-length", "host"].includes(name)));
    const res = await page.request.post(captured.url, { headers, data: body });
    const text = await res.text();
    expect(text).toContain(`"code":"forbidden"`);
    expect(text).not.toContain(forgedEmail);
    expect(await userCount()).toBe(before);
    expect(await userByEmail(forgedEmail)).toBeUndefined();
  });

  it("lets the viewer change their own password, which ends the session, and an admin reset it", async () => {
    const changed = `viewer-new-${randomBytes(8).toString("hex")}`;
    await page.getByTestId("current-user").click();
    await heading(page, "Your account").waitFor();
    await checkA11y(page, "account");
    await screenshot(page, "account");
    const form = page.getByRole("form", { name: "Change password" });
    await form.getByLabel("Current password").fill("not the password");
    await form.getByLabel("New password", { exact: true }).fill(changed);
    await form.getByLabel("Repeat the new password").fill(changed);
    await form.getByRole("button", { name: "Change password" }).click();
    await form.getByRole("alert").filter({ hasText: "The current password is not correct" }).waitFor();
    expect(pathOf(page)).toBe("/account");

    await form.getByLabel("Current password").fill(viewer.password);
    await form.getByRole("button", { name: "Change password" }).click();
    await page.waitForURL((u) => u.pathname === "/login");
    await page.getByRole("status").filter({ hasText: "Your password was changed" }).waitFor();
    await page.getByLabel("Email").fill(viewer.email);
    await page.getByLabel("Password").fill(viewer.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "Invalid email or password" }).waitFor();
    await signIn(page, viewer.email, changed);
    await heading(page, "Overview").waitFor();

    // An admin resets it: the new password is shown once, and the viewer's open session ends.
    const admin = await newContext(browser, baseUrl);
    try {
      const a = await admin.newPage();
      await signIn(a, adminEmail, adminPassword);
      await a.goto("/users");
      a.once("dialog", (d) => void d.accept());
      const row = a.getByTestId(`user-row-${viewer.email}`);
      await row.getByRole("button", { name: `Reset password of ${viewer.email}` }).click();
      viewer.password = ((await row.getByTestId("reset-password").textContent()) ?? "").trim();
      expect(viewer.password).toMatch(/^[A-Za-z0-9_-]{16}$/);
    } finally {
      await admin.close();
    }
    await page.reload();
    expect(pathOf(page)).toBe("/login");
    await signIn(page, viewer.email, viewer.password);
    await heading(page, "Overview").waitFor();
    const { rows } = await db.query<{ action: string }>(
      `SELECT a.action FROM "AuditLog" a JOIN "User" u ON a."targetId" = u.id::text WHERE u.email = $1 AND a.action LIKE 'user.password.%' ORDER BY a."createdAt"`,
      [viewer.email],
    );
    expect(rows.map((r) => r.action)).toEqual(["user.password.change", "user.password.reset"]);

    // "Sign out everywhere" ends a second session of the viewer's too, and keeps the password.
    const other = await newContext(browser, baseUrl);
    try {
      const o = await other.newPage();
      await signIn(o, viewer.email, viewer.password);
      await heading(o, "Overview").waitFor();
      await page.goto("/account");
      page.once("dialog", (d) => void d.accept());
      await page.getByRole("button", { name: "Sign out everywhere" }).click();
      await page.waitForURL((u) => u.pathname === "/login");
      await page.getByRole("status").filter({ hasText: "signed out of every session" }).waitFor();
      await o.reload();
      expect(pathOf(o)).toBe("/login");
    } finally {
      await other.close();
    }
    await signIn(page, viewer.email, viewer.password);
    await heading(page, "Overview").waitFor();
  });

  it("shows an error for a wrong password and keeps a disabled user out", async () => {
    const anon = await newContext(browser, baseUrl);
    const admin = await newContext(browser, baseUrl);
    const blockedUser = await newContext(browser, baseUrl);
    try {
      const p = await anon.newPage();
      await p.goto("/login");
      await p.getByLabel("Email").fill(adminEmail);
      await p.getByLabel("Password").fill(`${adminPassword}-wrong`);
      await p.getByRole("button", { name: "Sign in" }).click();
      await p.getByRole("alert").filter({ hasText: "Invalid email or password" }).waitFor();
      expect(pathOf(p)).toBe("/login");

      // A user who could sign in loses access (including their open session) once disabled.
      const blocked = { name: "Dan Disabled", email: `disabled-${run}@e2e.test`, password: `disabled-pw-${run}-x`, role: "editor" };
      const a = await admin.newPage();
      await signIn(a, adminEmail, adminPassword);
      await a.goto("/users");
      await createUserViaForm(a, blocked);

      const b = await blockedUser.newPage();
      await signIn(b, blocked.email, blocked.password);
      await heading(b, "Overview").waitFor();
      expect(await b.getByTestId("current-role").textContent()).toBe("editor");

      const row = a.getByTestId(`user-row-${blocked.email}`);
      await row.getByRole("button", { name: `Disable ${blocked.email}` }).click();
      await row.getByText("disabled", { exact: true }).waitFor();
      expect(await userByEmail(blocked.email)).toEqual({ role: "editor", disabled: true });

      await b.reload();
      expect(pathOf(b)).toBe("/login");

      // A fresh page, so the alert cannot be the one left from the wrong password.
      const again = await anon.newPage();
      await again.goto("/login");
      await again.getByLabel("Email").fill(blocked.email);
      await again.getByLabel("Password").fill(blocked.password);
      await again.getByRole("button", { name: "Sign in" }).click();
      await again.getByRole("alert").filter({ hasText: "the account is disabled" }).waitFor();
      expect(pathOf(again)).toBe("/login");
      await again.goto("/");
      expect(pathOf(again)).toBe("/login");
    } finally {
      await anon.close();
      await admin.close();
      await blockedUser.close();
    }
  });

  it("records the viewer's creation in the audit log with the admin as actor", async () => {
    await signOut(page);
    await signIn(page, adminEmail, adminPassword);
    await sidebar(page).getByRole("link", { name: "Audit log", exact: true }).click();
    await heading(page, "Audit log").waitFor();

    await page.getByLabel("Action").selectOption("user.create");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL((url) => url.searchParams.get("action") === "user.create");

    const rows = page.getByTestId("audit-row");
    await rows.first().waitFor();
    for (const action of await rows.locator("td:nth-child(3)").allTextContents()) expect(action).toBe("user.create");
    const entry = rows.filter({ hasText: viewer.email });
    expect(await entry.count()).toBe(1);
    const cells = await entry.getByRole("cell").allTextContents();
    expect(cells[1]).toBe(adminEmail);
    expect(cells[2]).toBe("user.create");
    await checkA11y(page, "audit log (filtered)");
    await screenshot(page, "audit-filtered");
  });

  it("can be signed in to with the keyboard alone, with a visible focus indicator", async () => {
    const kb = await newContext(browser, baseUrl);
    try {
      const p = await kb.newPage();
      await p.goto("/login");
      const focused = () =>
        p.evaluate(() => {
          const el = document.activeElement as HTMLElement | null;
          if (!el || el === document.body) return null;
          const style = getComputedStyle(el);
          const label = el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null;
          return { tag: el.tagName, name: label ?? el.textContent?.trim() ?? "", outline: style.outlineStyle, outlineWidth: style.outlineWidth };
        });
      const tabTo = async (name: string) => {
        for (let i = 0; i < 10; i++) {
          if ((await focused())?.name === name) return;
          await p.keyboard.press("Tab");
        }
        throw new Error(`Tab never reached "${name}" (focus is on ${JSON.stringify(await focused())})`);
      };
      const expectVisibleFocus = async (name: string) => {
        const f = await focused();
        expect(f?.name).toBe(name);
        expect(f?.outline, `focus outline on ${name}`).not.toBe("none");
        expect(f?.outlineWidth, `focus outline width on ${name}`).not.toBe("0px");
      };

      await tabTo("Email");
      await expectVisibleFocus("Email");
      await p.keyboard.type(adminEmail);
      await p.keyboard.press("Tab");
      await expectVisibleFocus("Password");
      await p.keyboard.type(adminPassword);
      await p.keyboard.press("Tab");
      await expectVisibleFocus("Sign in");
      await p.keyboard.press("Enter");
      await p.waitForURL((url) => url.pathname === "/");
      await heading(p, "Overview").waitFor();

      // The first Tab on a console page offers the skip link, and it shows itself.
      await p.keyboard.press("Tab");
      await expectVisibleFocus("Skip to content");
      expect(await p.getByRole("link", { name: "Skip to content" }).isVisible()).toBe(true);
    } finally {
      await kb.close();
    }
  });

  it("fits a tablet screen and hides the sidebar behind a toggle on narrow screens", async () => {
    await page.setViewportSize({ width: 768, height: 1024 });
    await page.goto("/users");
    await heading(page, "Users").waitFor();
    expect(await sidebar(page).isVisible()).toBe(true);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, "page scrolls sideways at 768px").toBeLessThanOrEqual(0);
    await checkA11y(page, "users at 768px");
    await screenshot(page, "users-tablet");

    await page.setViewportSize({ width: 600, height: 900 });
    const toggle = page.getByRole("button", { name: "Toggle navigation" });
    await sidebar(page).waitFor({ state: "hidden" });
    expect(await toggle.getAttribute("aria-expanded")).toBe("false");

    await toggle.click();
    await sidebar(page).waitFor({ state: "visible" });
    expect(await toggle.getAttribute("aria-expanded")).toBe("true");
    await screenshot(page, "users-narrow-sidebar-open");

    // Following a link closes the sidebar again.
    await sidebar(page).getByRole("link", { name: "Prompts", exact: true }).click();
    await page.waitForURL((url) => url.pathname === "/prompts");
    await heading(page, "Prompts").waitFor();
    await sidebar(page).waitFor({ state: "hidden" });
    expect(await toggle.getAttribute("aria-expanded")).toBe("false");

    await toggle.click();
    await sidebar(page).waitFor({ state: "visible" });
    await toggle.click();
    await sidebar(page).waitFor({ state: "hidden" });
  });
});
