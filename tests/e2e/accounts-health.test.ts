// The account health page end to end: three accounts (one healthy, one whose
// circuit the gateway opened after real upstream failures, one disabled) seen
// by an admin in the browser, with the detail page and an audited action.
import { createHash, randomBytes } from "node:crypto";
import pg from "pg";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { checkA11y, openConsole, screenshot } from "../support/browser";
import { startFakeUpstream, type FakeUpstream } from "../support/fake-upstream";

const baseUrl = inject("baseUrl");
const adminEmail = inject("adminEmail");
const adminPassword = inject("adminPassword");
const databaseUrl = inject("databaseUrl");

const run = randomBytes(3).toString("hex");
const names = { healthy: `healthy-${run}`, open: `failing-${run}`, disabled: `disabled-${run}` };

describe("account health page", () => {
  let browser: Browser;
  let page: Page;
  let db: pg.Client;
  let ok: FakeUpstream;
  let bad: FakeUpstream;
  let key: string;
  const ids: Record<string, string> = {};

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json().catch(() => null)) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  beforeAll(async () => {
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    [ok, bad] = await Promise.all([startFakeUpstream(), startFakeUpstream()]);
    bad.setDefault({ status: 500 });
    // An API key with both scopes, inserted the way lib/auth stores keys (SHA-256 and prefix).
    key = `pgk_e2e${randomBytes(24).toString("hex")}`;
    await db.query(`INSERT INTO "ApiKey" (name, prefix, hash, scopes) VALUES ($1, $2, $3, $4)`, [
      `e2e-health-${run}`, key.slice(0, 12), createHash("sha256").update(key).digest("hex"), ["admin", "completions"],
    ]);
    const mk = async (name: string, body: Record<string, unknown>) => {
      const r = await api("POST", "/api/admin/accounts", { name, provider: "openai", firstByteTimeoutMs: 2000, idleTimeoutMs: 2000, ...body });
      expect(r.status).toBe(201);
      return r.json.id as string;
    };
    ids.healthy = await mk(names.healthy, { baseUrl: ok.openaiBaseUrl, models: [`e2e-ok-${run}`], rpmLimit: 600, tpmLimit: 100_000 });
    ids.open = await mk(names.open, { baseUrl: bad.openaiBaseUrl, models: [`e2e-bad-${run}`] });
    ids.disabled = await mk(names.disabled, { provider: "simulator", models: [`e2e-sim-${run}`] });
    expect((await api("POST", `/api/admin/accounts/${ids.disabled}/actions`, { action: "disable" })).status).toBe(200);
    // A long cooldown keeps the circuit open (not half-open) while the page is looked at.
    expect((await api("PUT", "/api/admin/accounts/routing", { circuit: { cooldownMs: 600_000, maxCooldownMs: 600_000 } })).status).toBe(200);

    const chat = (model: string) => api("POST", "/api/v1/chat/completions", { model, messages: [{ role: "user", content: "hi" }] });
    for (let i = 0; i < 6; i++) expect((await chat(`e2e-ok-${run}`)).status).toBe(200);
    // Two attempts per request: the default 5 consecutive failures are reached on the third.
    for (let i = 0; i < 4; i++) await chat(`e2e-bad-${run}`);
    expect(bad.requests.length).toBe(5);

    ({ browser, page } = await openConsole(baseUrl, { signInAs: { email: adminEmail, password: adminPassword }, context: { viewport: { width: 1600, height: 900 } } }));
  });

  afterAll(async () => {
    await api("PUT", "/api/admin/accounts/routing", { circuit: { cooldownMs: 5_000, maxCooldownMs: 300_000 } }).catch(() => {});
    await browser?.close();
    await Promise.all([ok?.close(), bad?.close()]);
    await db?.end();
  });

  const statusOf = (name: string) => page.getByTestId(`health-row-${name}`).getByTestId("health-status");

  it("shows one healthy, one open-circuit and one disabled account, accessibly", async () => {
    await page.goto("/accounts");
    await page.getByRole("heading", { level: 2, name: "Health" }).waitFor();
    await expect.poll(() => statusOf(names.healthy).textContent()).toBe("healthy");
    expect(await statusOf(names.open).textContent()).toBe("circuit open");
    expect(await statusOf(names.disabled).textContent()).toBe("disabled");
    const openRow = page.getByTestId(`health-row-${names.open}`);
    expect(await openRow.textContent()).toMatch(/next retry in \d+ (min|s)/);
    expect(await openRow.textContent()).toContain("upstream_http_error");
    expect(await page.getByRole("progressbar", { name: `Requests per minute for ${names.healthy}` }).getAttribute("aria-valuemax")).toBe("600");
    await checkA11y(page, "accounts health");
    await screenshot(page, "accounts-health");
  });

  it("opens an account's detail page with its circuits, history and failures", async () => {
    await page.getByRole("link", { name: names.open, exact: true }).click();
    await page.waitForURL(`**/accounts/${ids.open}`);
    await page.getByRole("heading", { level: 1, name: names.open }).waitFor();
    await page.getByRole("region", { name: "Circuits by model" }).getByText(`e2e-bad-${run}`).waitFor();
    await page.getByRole("region", { name: "Recent failures" }).getByText("upstream_http_error", { exact: false }).first().waitFor();
    await checkA11y(page, "account health detail");
    await screenshot(page, "account-health-detail");
  });

  it("resets the open circuit from the page, audited, and the status follows", async () => {
    bad.setDefault({ content: "recovered" });
    await page.getByRole("button", { name: `Reset circuit ${names.open}` }).click();
    await expect.poll(() => page.getByTestId("health-status").textContent(), { timeout: 15_000 }).toBe("healthy");
    const { rows } = await db.query(`SELECT action FROM "AuditLog" WHERE "targetId" = $1 AND action = 'account.reset_circuit'`, [ids.open]);
    expect(rows).toHaveLength(1);
  });
});
