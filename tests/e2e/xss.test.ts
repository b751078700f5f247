// Stored XSS and the Content-Security-Policy, in Chromium against the
// production build. Script payloads go into every field an admin, an editor or
// an API client can set and the console shows (prompt description, tags,
// content and commit message; user, key and account names; audit entries);
// every page that shows them must render them as inert text, run none of them,
// and report no CSP violation, so the nonce CSP is known to hold for the app's
// own scripts (no unsafe-inline or unsafe-eval needed).
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, newContext, signIn } from "../support/browser";

const baseUrl = inject("baseUrl");
const adminEmail = inject("adminEmail");
const adminPassword = inject("adminPassword");
const databaseUrl = inject("databaseUrl");

const run = randomBytes(3).toString("hex");
const IMG = `<img src=x onerror="window.__xss=1">`;
const SCRIPT = `<script>window.__xss=1</script>`;
const TAG = `<img/src=x/onerror=window.__xss=1>`; // tags are one word
const promptName = `xss-${run}`;
const names = {
  user: `Mallory ${IMG} ${run}`,
  key: `key ${SCRIPT} ${run}`,
  account: `acct ${IMG} ${run}`,
};

type PageLog = { csp: string[]; console: string[]; errors: string[] };

let browser: Browser;
let context: BrowserContext;
let page: Page;
let db: pg.Client;
let accountId: string;
const log: PageLog = { csp: [], console: [], errors: [] };

async function api(method: "POST" | "PATCH", path: string, data: unknown): Promise<Record<string, unknown>> {
  const r = await context.request.fetch(`${baseUrl}${path}`, { method, data, headers: { origin: baseUrl } });
  const body = (await r.json()) as Record<string, unknown>;
  if (!r.ok()) throw new Error(`${method} ${path} → ${r.status()}: ${JSON.stringify(body)}`);
  return body;
}

/** Visits `path` and returns what went wrong there: CSP reports, console errors, a payload that ran. */
async function visit(path: string): Promise<{ ran: unknown; injectedImages: number; text: string; log: PageLog }> {
  log.csp.length = 0;
  log.console.length = 0;
  log.errors.length = 0;
  const res = await page.goto(path, { waitUntil: "networkidle" });
  expect(res?.status(), `${path} status`).toBeLessThan(400);
  await page.waitForTimeout(300); // let late effects (onerror of a broken image) fire
  const csp = (await page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? [])) as string[];
  return {
    ran: await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss),
    injectedImages: await page.locator('img[src="x"]').count(),
    text: await page.locator("body").innerText(),
    log: { csp: [...csp, ...log.csp], console: [...log.console], errors: [...log.errors] },
  };
}

beforeAll(async () => {
  db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  browser = await launchBrowser();
  // The real CSP applies here (newContext bypasses it by default for axe).
  context = await newContext(browser, baseUrl, { bypassCSP: false });
  await context.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => w.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`));
  });
  page = await context.newPage();
  page.on("console", (m) => {
    if (/Content Security Policy|Content-Security-Policy/i.test(m.text())) log.csp.push(m.text());
    else if (m.type() === "error") log.console.push(m.text());
  });
  // Chromium reports a ResizeObserver whose callback resized something (charts,
  // the editor) as an error event; the spec calls it a notice that delivery
  // moved to the next frame, nothing failed, and it comes and goes with load.
  page.on("pageerror", (e) => {
    if (!/^ResizeObserver loop/.test(e.message)) log.errors.push(e.message);
  });
  await signIn(page, adminEmail, adminPassword);

  await api("POST", "/api/admin/prompts", {
    name: promptName,
    description: `desc ${IMG} ${SCRIPT}`,
    tags: [TAG],
    type: "chat",
    messages: [{ role: "system", content: `You are ${SCRIPT} and ${IMG}` }],
    commitMessage: `first ${IMG}`,
  });
  await api("POST", `/api/admin/prompts/${promptName}/versions`, {
    commitMessage: `second ${SCRIPT}`,
    type: "chat",
    messages: [{ role: "system", content: `Now ${IMG} then ${SCRIPT}` }],
  });
  await api("POST", "/api/admin/keys", { name: names.key });
  accountId = String((await api("POST", "/api/admin/accounts", { name: names.account, provider: "simulator" })).id);
  // No admin API creates users; the row is what the console's form would write.
  await db.query(`INSERT INTO "User" (email, name, "passwordHash", role, "updatedAt") VALUES ($1, $2, 'x', 'viewer', now())`, [`mallory-${run}@e2e.test`, names.user]);
  await db.query(`INSERT INTO "AuditLog" ("actorEmail", action, "targetType", "targetId", after) VALUES ($1, 'prompt.update', 'prompt', $2, $3)`, [
    `evil${IMG}@x.test`,
    `target ${SCRIPT}`,
    JSON.stringify({ note: IMG }),
  ]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await db?.query(`DELETE FROM "ProviderAccount" WHERE id = $1`, [accountId]).catch(() => {});
  await db?.end();
});

const pages: { label: string; path: () => string; shows: string[] }[] = [
  { label: "/", path: () => "/", shows: [] },
  { label: "/users", path: () => "/users", shows: [names.user] },
  { label: "/keys", path: () => "/keys", shows: [names.key] },
  { label: "/accounts", path: () => "/accounts", shows: [names.account] },
  { label: "/accounts/<id>", path: () => `/accounts/${accountId}`, shows: [names.account] },
  { label: "/prompts", path: () => "/prompts", shows: [`desc ${IMG} ${SCRIPT}`, TAG] },
  { label: "/prompts/<prompt>", path: () => `/prompts/${promptName}`, shows: [] }, // the editor; CodeMirror holds the content
  { label: "/prompts/<prompt>/history", path: () => `/prompts/${promptName}/history`, shows: [`second ${SCRIPT}`, `first ${IMG}`] },
  { label: "/prompts/<prompt>/diff?from=1&to=2", path: () => `/prompts/${promptName}/diff?from=1&to=2`, shows: [] },
  { label: "/audit", path: () => "/audit", shows: [`evil${IMG}@x.test`] },
  { label: "/usage", path: () => "/usage", shows: [] },
  { label: "/experiments", path: () => "/experiments", shows: [] },
  { label: "/quotas", path: () => "/quotas", shows: [] },
  { label: "/prompts/globals", path: () => "/prompts/globals", shows: [] },
];

describe("stored script payloads in the console", () => {
  it.each(pages.map((p) => [p.label, p] as const))("%s renders them as text, runs none, and has no CSP violation", async (_label, p) => {
    const r = await visit(p.path());
    expect(r.ran, "a payload ran").toBeUndefined();
    expect(r.injectedImages, "a payload became an <img>").toBe(0);
    for (const s of p.shows) expect(r.text).toContain(s);
    expect(r.log.csp).toEqual([]);
    expect(r.log.errors).toEqual([]);
  });

  it("shows the prompt content as text in the editor and the diff", async () => {
    const editor = await visit(`/prompts/${promptName}`);
    expect(editor.text).toMatch(/Now <img src=x onerror="window\.__xss=1"> then <script>window\.__xss=1<\/script>/);
    const diff = await visit(`/prompts/${promptName}/diff?from=1&to=2`);
    expect(diff.text).toContain("window.__xss=1");
    expect(diff.ran).toBeUndefined();
  });

  it("sends a nonce CSP without unsafe-eval or unsafe-inline scripts", async () => {
    const res = await context.request.get(`${baseUrl}/prompts`);
    const csp = res.headers()["content-security-policy"] ?? "";
    const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1] ?? "";
    expect(scriptSrc).toMatch(/'nonce-[A-Za-z0-9+/=_-]+'/);
    expect(scriptSrc).not.toContain("unsafe-eval");
    expect(scriptSrc).not.toContain("unsafe-inline");
  });
});
