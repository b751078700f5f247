// Security #13.4 in the console: an admin editing an account is told, next to
// the base URL, that a new URL clears the stored key and header values; header
// values are shown masked; after a re-point the row says the key was cleared.
import { createHash, randomBytes } from "node:crypto";
import pg from "pg";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { checkA11y, openConsole, screenshot } from "../support/browser";

const baseUrl = inject("baseUrl");
const adminEmail = inject("adminEmail");
const adminPassword = inject("adminPassword");
const databaseUrl = inject("databaseUrl");

const run = randomBytes(3).toString("hex");
const name = `secrets-${run}`;
const KEY = `sk-e2e-secret-${run}-WXYZ`;
const TOKEN = `tok-e2e-header-${run}-QRST`;

describe("account secrets in the console", () => {
  let browser: Browser;
  let page: Page;
  let db: pg.Client;
  let key: string;
  let id: string;

  beforeAll(async () => {
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    key = `pgk_e2e${randomBytes(24).toString("hex")}`;
    await db.query(`INSERT INTO "ApiKey" (name, prefix, hash, scopes) VALUES ($1, $2, $3, $4)`, [
      `e2e-secrets-${run}`, key.slice(0, 12), createHash("sha256").update(key).digest("hex"), ["admin"],
    ]);
    const res = await fetch(`${baseUrl}/api/admin/accounts`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ name, provider: "openai", baseUrl: "https://api.example.com/v1", apiKey: KEY, models: [`e2e-secrets-${run}`], enabled: false, settings: { headers: { "x-upstream-token": TOKEN } } }),
    });
    expect(res.status).toBe(201);
    id = ((await res.json()) as { id: string }).id;
    ({ browser, page } = await openConsole(baseUrl, { signInAs: { email: adminEmail, password: adminPassword }, context: { viewport: { width: 1600, height: 1000 } } }));
  });

  afterAll(async () => {
    await db?.query(`DELETE FROM "ProviderAccount" WHERE id = $1`, [id]).catch(() => {});
    await browser?.close();
    await db?.end();
  });

  it("security #13.4: says next to the base URL that a change clears the key, shows header values masked, and marks the cleared key", async () => {
    await page.goto("/accounts");
    const row = page.getByTestId(`account-row-${name}`);
    await row.getByRole("button", { name: `Edit ${name}` }).click();
    const form = page.getByRole("form", { name: `Edit account ${name}` });
    const url = form.getByLabel("Base URL", { exact: true });
    await url.waitFor();
    expect(await form.textContent()).toMatch(/Changing the base URL or provider clears the stored key and header values/);

    const settings = await form.getByLabel("Provider settings (JSON)").inputValue();
    expect(settings).toContain(`"x-upstream-token": "••••${TOKEN.slice(-4)}"`);
    expect(await page.content()).not.toContain(TOKEN);

    await url.fill("https://elsewhere.example.com/v1");
    await form.getByRole("note").filter({ hasText: "will be cleared" }).waitFor();
    await checkA11y(page, "account edit, re-point warning");
    await screenshot(page, "account-repoint-warning");
    await form.getByRole("button", { name: "Save changes" }).click();

    await expect.poll(() => row.textContent()).toContain("key cleared");
    const { rows } = await db.query<{ secretCiphertext: string | null; secretCleared: boolean; settings: { headers: Record<string, string> } }>(
      `SELECT "secretCiphertext", "secretCleared", settings FROM "ProviderAccount" WHERE id = $1`,
      [id],
    );
    expect(rows[0]).toMatchObject({ secretCiphertext: null, secretCleared: true, settings: { headers: {} } });
    await screenshot(page, "account-key-cleared");
  });
});
