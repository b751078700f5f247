// Usage analytics end to end: seeded usage (written through the production
// usage writer, rollups included), the Usage page's KPIs, four charts and top
// tables, its URL-held filters surviving a reload and a shared link, the CSV
// export, the admin price table, and the Overview's sparklines and cards.
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { checkA11y, newContext, openConsole, screenshot, signIn } from "../support/browser";
import { adminCliOn } from "../support/cli";
import { seededRandom as rng } from "../support/random";

const baseUrl = inject("baseUrl");
const adminEmail = inject("adminEmail");
const adminPassword = inject("adminPassword");
const databaseUrl = inject("databaseUrl");

const HOUR = 3_600_000;
const run = randomBytes(3).toString("hex");
const ACCOUNTS = [
  { id: "0e2e0000-0000-4000-8000-000000000a01", name: `e2e-openai-${run}`, provider: "openai" },
  { id: "0e2e0000-0000-4000-8000-000000000a02", name: `e2e-anthropic-${run}`, provider: "anthropic" },
];
const KEYS = [
  { id: "0e2e0000-0000-4000-8000-000000000b01", name: `e2e-search-${run}`, prefix: `pgk_e2e${run}1` },
  { id: "0e2e0000-0000-4000-8000-000000000b02", name: `e2e-support-${run}`, prefix: `pgk_e2e${run}2` },
];
const MODELS = [
  { name: "gpt-4o-mini", account: 0 },
  { name: "gpt-4o", account: 0 },
  { name: "claude-3-5-haiku-20241022", account: 1 },
];

let browser: Browser;
let context: BrowserContext;
let page: Page;
let db: pg.Client;


async function seedUsage(): Promise<void> {
  for (const a of ACCOUNTS) await db.query(`INSERT INTO "ProviderAccount" (id, name, provider, "updatedAt") VALUES ($1, $2, $3::"ProviderKind", now())`, [a.id, a.name, a.provider]);
  for (const k of KEYS) await db.query(`INSERT INTO "ApiKey" (id, name, prefix, hash, scopes) VALUES ($1, $2, $3, $4, '{completions}')`, [k.id, k.name, k.prefix, randomBytes(32).toString("hex")]);
  // The writer module reads DATABASE_URL when it first connects: point it at the e2e database.
  process.env.DATABASE_URL = databaseUrl;
  process.env.AUTH_SECRET ??= randomBytes(32).toString("base64url");
  process.env.ENCRYPTION_KEY ??= randomBytes(32).toString("hex");
  const { writeBatch } = await import("@/lib/usage/writer");
  const { closeDb } = await import("@/lib/db");
  const rand = rng(11);
  const now = Date.now();
  // 2,500 in the last 48 hours, 1,500 more within 29 days, 500 in the 30 days before (the previous period).
  const at = (i: number) =>
    i < 2500 ? now - Math.floor(rand() * 48 * HOUR) : i < 4000 ? now - Math.floor(rand() * 29 * 24 * HOUR) : now - 31 * 24 * HOUR - Math.floor(rand() * 20 * 24 * HOUR);
  const events = Array.from({ length: 4500 }, (_, i) => {
    const m = MODELS[Math.floor(rand() * MODELS.length)]!;
    const a = ACCOUNTS[m.account]!;
    const status = rand() < 0.94 ? "ok" : rand() < 0.5 ? "upstream_error" : "client_aborted";
    return {
      completionId: `e2e-usage-${run}-${i}`, createdAt: new Date(at(i)), apiKeyId: KEYS[rand() < 0.7 ? 0 : 1]!.id, endUser: null,
      accountId: a.id, provider: a.provider, requestedModel: m.name, servedModel: m.name,
      inputTokens: 200 + Math.floor(rand() * 3000), outputTokens: 50 + Math.floor(rand() * 900), cachedTokens: 0,
      latencyMs: Math.floor(300 * Math.exp(rand() * 2.5)), ttftMs: rand() < 0.5 ? Math.floor(100 + rand() * 600) : null,
      status: status as "ok", errorCode: null, stream: false, attempts: 1,
    };
  });
  try {
    for (let i = 0; i < events.length; i += 500) await writeBatch(events.slice(i, i + 500));
  } finally {
    await closeDb();
  }
}

const dashboard = (p: Page) => p.getByTestId("usage-dashboard");
async function overviewCounts(client: pg.Client = db): Promise<{ cur: number; prev: number }> {
  const { rows } = await client.query(
    `SELECT count(*) FILTER (WHERE "createdAt" >= now() - interval '24 hours')::int AS cur,
            count(*) FILTER (WHERE "createdAt" < now() - interval '24 hours' AND "createdAt" >= now() - interval '48 hours')::int AS prev FROM "UsageEvent"`,
  );
  return rows[0];
}
async function ready(p: Page): Promise<void> {
  await p.waitForFunction(() => {
    const el = document.querySelector('[data-testid="usage-dashboard"]');
    return el?.getAttribute("data-state") === "ready" && el.getAttribute("aria-busy") === "false";
  });
}

async function expectChartsDrawn(p: Page): Promise<void> {
  for (const id of ["tokens", "cost", "requests", "latency"]) {
    const chart = p.getByTestId(`chart-${id}`);
    expect(Number(await chart.getAttribute("data-nonempty")), `${id} chart has data points`).toBeGreaterThan(0);
    // Something was really drawn: bars, areas or line paths with geometry.
    const drawn = await chart.evaluate((el) =>
      [...el.querySelectorAll(".recharts-bar-rectangle path, .recharts-area-area, .recharts-line-curve")].filter((n) => (n.getAttribute("d") ?? "").length > 10).length,
    );
    expect(drawn, `${id} chart draws its series`).toBeGreaterThan(0);
  }
}

describe("usage analytics", () => {
  beforeAll(async () => {
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    await seedUsage();
    ({ browser, context, page } = await openConsole(baseUrl, { signInAs: { email: adminEmail, password: adminPassword }, context: { viewport: { width: 1400, height: 1000 } } }));
  });

  afterAll(async () => {
    await browser?.close();
    await db?.end();
  });

  it("shows KPIs, four non-empty charts and the top tables for the last 30 days", async () => {
    await page.goto("/usage?range=30d");
    await page.getByRole("heading", { level: 1, name: "Usage" }).waitFor();
    await ready(page);
    // The seed may hold a little demo traffic of its own: compare with the database, not with our 4,000.
    const { rows } = await db.query(
      `SELECT count(*) FILTER (WHERE "createdAt" >= now() - interval '30 days')::int AS cur,
              count(*) FILTER (WHERE "createdAt" < now() - interval '30 days' AND "createdAt" >= now() - interval '60 days')::int AS prev FROM "UsageEvent"`,
    );
    expect(rows[0].cur).toBeGreaterThanOrEqual(4000);
    expect(await page.getByTestId("kpi-requests").getByTestId("kpi-value").textContent()).toBe(rows[0].cur.toLocaleString("en"));
    const pct = (((rows[0].cur - rows[0].prev) / rows[0].prev) * 100).toFixed(1);
    expect(await page.getByTestId("kpi-requests").textContent()).toContain(`▲ ${pct}% vs previous period`);
    await expectChartsDrawn(page);
    // Stacked by model: one series per model in the legend.
    for (const m of MODELS) await page.getByTestId("chart-tokens").getByText(m.name).first().waitFor();
    const topKeys = page.getByRole("region", { name: "Top api keys by cost" });
    await topKeys.getByText(KEYS[0]!.name).waitFor();
    await checkA11y(page, "Usage");
    await screenshot(page, "usage-analytics");
  });

  it("keeps range, stacking and filters in the URL through a reload and a shared link", async () => {
    await page.goto("/usage");
    await ready(page);
    await page.getByRole("button", { name: "24 h", exact: true }).click();
    await page.waitForURL((u) => u.searchParams.get("range") === "24h");
    await page.getByLabel("Stack tokens by").selectOption("key");
    await page.waitForURL((u) => u.searchParams.get("by") === "key");
    await page.getByLabel("Model", { exact: true }).selectOption("gpt-4o");
    await page.waitForURL((u) => u.searchParams.get("model") === "gpt-4o");
    await page.getByLabel("Account", { exact: true }).selectOption(ACCOUNTS[0]!.id);
    await page.waitForURL((u) => u.searchParams.get("account") === ACCOUNTS[0]!.id);
    await ready(page);
    const url = page.url();
    expect(new URL(url).search).toBe(`?range=24h&by=key&model=gpt-4o&account=${ACCOUNTS[0]!.id}`);
    await page.getByTestId("chart-tokens").getByText(KEYS[0]!.name).first().waitFor();

    const expectState = async (p: Page) => {
      await ready(p);
      expect(await p.getByRole("button", { name: "24 h", exact: true }).getAttribute("aria-pressed")).toBe("true");
      expect(await p.getByLabel("Stack tokens by").inputValue()).toBe("key");
      expect(await p.getByLabel("Model", { exact: true }).inputValue()).toBe("gpt-4o");
      expect(await p.getByLabel("Account", { exact: true }).inputValue()).toBe(ACCOUNTS[0]!.id);
      // Only gpt-4o is counted.
      const models = await p.getByRole("region", { name: "Top models by cost" }).getByRole("row").allTextContents();
      expect(models.slice(1).every((r) => r.startsWith("gpt-4o") && !r.startsWith("gpt-4o-mini"))).toBe(true);
    };
    await page.reload();
    await expectState(page);
    const shared = await context.newPage();
    await shared.goto(url);
    await expectState(shared);
    await expectChartsDrawn(shared);
    await shared.close();
  });

  it("downloads the filtered view as CSV, and refuses the data to a signed-out visitor", async () => {
    await page.goto("/usage?range=7d&model=gpt-4o-mini");
    await ready(page);
    const href = await page.getByRole("link", { name: "Export raw events (CSV)" }).getAttribute("href");
    expect(href).toBe("/api/admin/usage/export/events?model=gpt-4o-mini");
    const res = await page.request.get(`/api/admin/usage/export/events?range=7d&model=gpt-4o-mini`);
    expect(res.status()).toBe(200);
    const lines = (await res.text()).trim().split("\r\n");
    // Text fields are always quoted (security #13.8: a ";" locale cannot turn a value into a formula).
    expect(lines[0]).toMatch(/^"created_at","completion_id",/);
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM "UsageEvent" WHERE "requestedModel" = 'gpt-4o-mini' AND "createdAt" >= now() - interval '7 days'`);
    expect(lines.length - 1).toBe(rows[0].n);
    const anon = await newContext(browser, baseUrl);
    try {
      expect((await anon.request.get("/api/admin/usage/dashboard")).status()).toBe(401);
      expect((await anon.request.get("/api/admin/usage/export/events")).status()).toBe(401);
    } finally {
      await anon.close();
    }
  });

  it("says so when a range has no usage", async () => {
    await page.goto("/usage?range=custom&from=2020-01-01T00:00:00.000Z&to=2020-01-02T00:00:00.000Z");
    await page.getByRole("heading", { name: "No usage in this range" }).waitFor();
    expect(await dashboard(page).getAttribute("data-state")).toBe("empty");
  });

  it("lets an admin schedule a model price, audited", async () => {
    await page.goto("/usage");
    await page.getByRole("link", { name: "Model prices" }).click();
    await page.getByRole("heading", { level: 1, name: "Model prices" }).waitFor();
    const form = page.getByRole("form", { name: "Add a price" });
    await form.getByLabel("Model or prefix", { exact: true }).fill(`e2e-model-${run}`);
    await form.getByLabel("Input $/1M", { exact: true }).fill("1.5");
    await form.getByLabel("Output $/1M", { exact: true }).fill("6");
    await form.getByRole("button", { name: "Add price" }).click();
    await form.getByText(`Added a price for e2e-model-${run}`).waitFor();
    const row = page.getByTestId(`price-row-e2e-model-${run}`);
    await row.getByText("scheduled").waitFor();
    const { rows } = await db.query(`SELECT action FROM "AuditLog" WHERE action = 'usage.price.create' AND after->>'model' = $1`, [`e2e-model-${run}`]);
    expect(rows).toHaveLength(1);
    await checkA11y(page, "Model prices");
    await screenshot(page, "usage-pricing");
  });

  it("shows 24-hour KPIs with sparklines, account health and recent audit entries on the Overview", async () => {
    // The seeded events age out of the 24 hours while the page loads: compare with counts that did not move meanwhile.
    const rows = [await overviewCounts()];
    for (let i = 0; i < 3; i++) {
      await page.goto("/");
      await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
      rows.unshift(await overviewCounts());
      if (rows[0]!.cur === rows[1]!.cur && rows[0]!.prev === rows[1]!.prev) break;
    }
    const sparks = page.getByTestId("sparkline");
    expect(await sparks.count()).toBe(6);
    for (let i = 0; i < 6; i++) {
      expect(Number(await sparks.nth(i).getAttribute("data-nonempty"))).toBeGreaterThan(0);
      const d = await sparks.nth(i).locator(".recharts-area-area").first().getAttribute("d");
      expect((d ?? "").length).toBeGreaterThan(10);
    }
    const requests = page.getByTestId("kpi-requests");
    const counts = rows[0]!;
    expect(await requests.getByTestId("kpi-value").textContent()).toBe(counts.cur.toLocaleString("en"));
    const pct = Math.abs(((counts.cur - counts.prev) / counts.prev) * 100).toFixed(1);
    expect(await requests.textContent()).toContain(`${pct}% vs previous 24 h`);
    const account = page.getByTestId(`overview-account-${ACCOUNTS[0]!.name}`);
    await account.waitFor();
    expect(await account.textContent()).toContain("enabled");
    await page.getByTestId("recent-audit").getByText("usage.price.create").waitFor();
    await checkA11y(page, "Overview");
    await screenshot(page, "usage-overview");
  });
});

// Last in the file: its usage lives in two other workspaces, so the counts above (which read every
// workspace's events) are taken before it exists. Its own instance admin (made with the admin CLI):
// the seeded admin's remembered workspace stays Default for the files after this one.
describe("usage across workspaces (issue 18)", () => {
  const teams = (["a", "b"] as const).map((t) => ({ t, id: "", name: `Usage team ${t.toUpperCase()} ${run}`, slug: `usage-${t}-${run}`, n: t === "a" ? 40 : 25 }));
  const admin = { email: `usage-instance-${run}@e2e.test`, password: `pw-${randomBytes(12).toString("hex")}` };
  let db2: pg.Client;
  let browser2: Browser;
  let page2: Page;

  beforeAll(async () => {
    db2 = new pg.Client({ connectionString: databaseUrl });
    await db2.connect();
    const made = adminCliOn(databaseUrl, admin.password, "users", "create", "--email", admin.email, "--role", "admin", "--password", "-");
    if (made.code !== 0) throw new Error(`admin CLI failed: ${made.err}`);
    for (const team of teams) {
      const r = adminCliOn(databaseUrl, "", "workspaces", "create", "--name", team.name, "--slug", team.slug);
      if (r.code !== 0) throw new Error(`admin CLI failed: ${r.err}`);
      team.id = (await db2.query(`SELECT id FROM "Workspace" WHERE slug = $1`, [team.slug])).rows[0].id;
    }
    process.env.DATABASE_URL = databaseUrl;
    process.env.AUTH_SECRET ??= randomBytes(32).toString("base64url");
    process.env.ENCRYPTION_KEY ??= randomBytes(32).toString("hex");
    const { writeBatch } = await import("@/lib/usage/writer");
    const { closeDb } = await import("@/lib/db");
    const now = Date.now();
    try {
      await writeBatch(teams.flatMap((team) => Array.from({ length: team.n }, (_, i) => ({
        completionId: `e2e-ws-usage-${run}-${team.t}-${i}`, createdAt: new Date(now - (i + 1) * 10 * 60_000), apiKeyId: null, endUser: null,
        accountId: null, provider: "openai", requestedModel: "gpt-4o-mini", servedModel: "gpt-4o-mini", inputTokens: team.t === "a" ? 900 : 400, outputTokens: 100,
        cachedTokens: 0, latencyMs: 300, ttftMs: null, status: "ok" as const, errorCode: null, stream: false, attempts: 1, workspaceId: team.id,
      }))));
    } finally {
      await closeDb();
    }
    ({ browser: browser2, page: page2 } = await openConsole(baseUrl, { context: { viewport: { width: 1400, height: 1000 } } }));
    await signIn(page2, admin.email, admin.password);
  });

  afterAll(async () => {
    await browser2?.close();
    await db2?.end();
  });

  it("an instance admin picks All workspaces, stacks by workspace and sees both workspaces' series by name", async () => {
    await page2.goto("/usage?range=24h");
    await ready(page2);
    await page2.getByLabel("Usage of", { exact: true }).selectOption({ label: "All workspaces" });
    await page2.waitForURL((u) => u.searchParams.get("workspace") === "all");
    await page2.getByLabel("Stack tokens by").selectOption({ label: "Workspace" });
    await page2.waitForURL((u) => u.searchParams.get("by") === "workspace");
    await ready(page2);
    const chart = page2.getByTestId("chart-tokens");
    for (const team of teams) await chart.getByText(team.name).first().waitFor();
    const top = page2.getByRole("region", { name: "Top workspaces by cost" });
    for (const team of teams) await top.getByText(team.name).waitFor();
    await screenshot(page2, "usage-all-workspaces");
    // The workspace's row narrows the view to it.
    await top.getByRole("button", { name: teams[1]!.name }).click();
    await page2.waitForURL((u) => u.searchParams.get("workspace") === teams[1]!.id);
    await ready(page2);
    expect(await page2.getByTestId("kpi-requests").getByTestId("kpi-value").textContent()).toBe(String(teams[1]!.n));
    // The Overview's selector: all workspaces include both teams' calls.
    await page2.goto("/");
    const before = await overviewCounts(db2);
    await page2.getByTestId("overview-scope").getByRole("link", { name: "All workspaces" }).click();
    await page2.waitForURL((u) => u.searchParams.get("workspace") === "all");
    const after = await overviewCounts(db2);
    // Every workspace's calls of the last 24 hours (between the counts before and after: seeded events age out meanwhile).
    const shown = Number((await page2.getByTestId("kpi-requests").getByTestId("kpi-value").textContent())!.replace(/,/g, ""));
    expect(shown).toBeGreaterThanOrEqual(after.cur);
    expect(shown).toBeLessThanOrEqual(before.cur);
    await checkA11y(page2, "Overview, all workspaces");
    await screenshot(page2, "overview-all-workspaces");
  });
});
