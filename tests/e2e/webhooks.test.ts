// Webhooks in the console (issue 19 §3): the seeded admin adds an endpoint pointing at a receiver run by
// the test, copies the secret shown once, sends a test event, and sees it delivered in the endpoint's
// delivery log; the receiver verifies the signature with the README's snippet.
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { checkA11y, openConsole, screenshot } from "../support/browser";
import { startReceiver, type Receiver } from "../support/webhook-receiver";

const baseUrl = inject("baseUrl");
const adminEmail = inject("adminEmail");
const adminPassword = inject("adminPassword");
const databaseUrl = inject("databaseUrl");
const run = randomBytes(3).toString("hex");

describe("webhooks page", () => {
  let browser: Browser;
  let page: Page;
  let rx: Receiver;
  let db: pg.Client;

  beforeAll(async () => {
    rx = await startReceiver();
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    ({ browser, page } = await openConsole(baseUrl, { signInAs: { email: adminEmail, password: adminPassword }, context: { viewport: { width: 1400, height: 1000 } } }));
  });

  afterAll(async () => {
    await db?.query(`DELETE FROM "WebhookEndpoint" WHERE url LIKE $1`, [`${rx.url}%`]).catch(() => {});
    await browser?.close();
    await db?.end();
    await rx?.close();
  });

  it("creates an endpoint, sends a signed test event through the real delivery path, and shows it delivered in the log", async () => {
    const url = `${rx.url}?run=${run}`;
    await page.goto("/webhooks");
    const form = page.getByRole("form", { name: "Create webhook endpoint" });
    await form.getByLabel("URL").fill(url);
    await form.getByLabel("Description (optional)").fill(`e2e ${run}`);
    await form.getByLabel(/budget\.threshold/).check();
    await form.getByLabel(/experiment\.completed/).check();
    await checkA11y(page, "webhooks page");
    await form.getByRole("button", { name: "Create endpoint" }).click();
    const secret = (await page.getByTestId("webhook-secret").textContent())!.trim();
    expect(secret).toMatch(/^whsec_/);
    rx.secret = secret;
    const open = page.getByRole("link", { name: `Open ${url}` });
    await open.waitFor();
    await screenshot(page, "webhooks-created");

    await open.click();
    await page.getByRole("heading", { name: `e2e ${run}` }).waitFor();
    await page.getByRole("button", { name: "Send test event" }).click();
    await expect.poll(() => rx.received.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    expect(rx.received[0]).toMatchObject({ verified: true, json: { type: "webhook.test" } });

    // The log fills in by itself (it re-reads while a delivery is pending).
    const row = page.getByTestId("delivery-webhook.test");
    await expect.poll(async () => (await row.count()) ? row.first().textContent() : "", { timeout: 20_000 }).toMatch(/delivered.*200/s);
    await checkA11y(page, "webhook endpoint page");
    await screenshot(page, "webhook-delivery-log");

    // Disable, and the page says so.
    await page.getByRole("button", { name: "Disable" }).click();
    await page.getByRole("button", { name: "Enable" }).waitFor();
  });
});
