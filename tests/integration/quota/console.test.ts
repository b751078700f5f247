// The Quotas page in headless Chromium against `next start`: an admin creates a
// policy with the form, sees a key near its limit highlighted with progress
// bars, edits and removes the policy; the API keys table lists the key's
// policies; every step passes axe.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { closeDb, db } from "@/lib/db";
import { createUser } from "@/lib/users";
import { admit, createPolicy, stopSweeper } from "@/lib/quota";
import { startApp, type AppServer } from "../../support/app-server";
import { checkA11y, launchBrowser, newContext, screenshot, signIn } from "../../support/browser";
import { newKey, settle, system, unique } from "./helpers";

describe("Quotas page", () => {
  let app: AppServer;
  let browser: Browser;
  let page: Page;
  const email = `${unique("quota-admin")}@e2e.test`;
  const password = `pw-${unique("x")}`;

  beforeAll(async () => {
    await createUser(system, { email, name: "Quota Admin", role: "admin", password });
    app = await startApp();
    browser = await launchBrowser();
    page = await (await newContext(browser, app.url)).newPage();
    await signIn(page, email, password);
  }, 900_000);

  afterAll(async () => {
    stopSweeper();
    await browser?.close();
    await app?.stop();
    await closeDb();
  });

  it("creates a policy, shows the key near its limit, edits and removes it", async () => {
    const k = await newKey();
    const keyRow = await db.apiKey.findUniqueOrThrow({ where: { id: k.id } });
    const name = unique("console-policy");
    await page.goto("/quotas");
    const form = page.getByRole("form", { name: "Create quota policy" });
    await form.getByLabel("Name").fill(name);
    await form.getByLabel("Applies to").selectOption("key");
    await form.getByLabel("API key").selectOption(k.id);
    await form.getByLabel("Requests / minute").fill("5");
    await form.getByLabel("Tokens / day").fill("1000");
    await form.getByRole("button", { name: "Create policy" }).click();
    await page.getByRole("status").filter({ hasText: `Created ${name}` }).waitFor({ timeout: 10_000 });
    const policy = await db.quotaPolicy.findUniqueOrThrow({ where: { workspaceId_name: { workspaceId: "00000000-0000-0000-0000-000000000001", name } } });
    expect(policy).toMatchObject({ scope: "key", apiKeyId: k.id, requestsPerMinute: 5, tokensPerDay: 1000 });
    expect(await db.auditLog.count({ where: { targetId: policy.id, action: "quota.create" } })).toBe(1);

    // Four of five requests this minute: near the limit.
    for (let i = 0; i < 4; i++) await admit(k.principal, { model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: 1 }, { completionId: unique("c") });
    await page.reload();
    const card = page.getByTestId(`quota-key-${keyRow.name}`);
    await card.getByText("near a limit").waitFor();
    await page.getByRole("progressbar", { name: /Requests \/ minute: 0 \+ 4 in flight of 5/ }).waitFor();
    await checkA11y(page, "quotas");
    await screenshot(page, "quotas-with-usage");

    const row = page.getByTestId(`policy-row-${name}`);
    await row.getByRole("button", { name: `Edit ${name}` }).click();
    const edit = page.getByRole("form", { name: `Edit quota policy ${name}` });
    await edit.getByLabel("Tokens / day").fill("2000");
    await edit.getByRole("button", { name: "Save policy" }).click();
    await expect.poll(async () => (await db.quotaPolicy.findUniqueOrThrow({ where: { workspaceId_name: { workspaceId: "00000000-0000-0000-0000-000000000001", name } } })).tokensPerDay, { timeout: 10_000 }).toBe(2000);

    await page.goto("/keys");
    await page.getByTestId(`key-row-${keyRow.name}`).getByRole("link", { name }).waitFor();
    await checkA11y(page, "keys-with-quotas");

    await page.goto("/quotas");
    await page.getByTestId(`policy-row-${name}`).getByRole("button", { name: `Remove ${name}` }).click();
    await page.getByRole("button", { name: "Confirm remove" }).click();
    await expect.poll(() => db.quotaPolicy.count({ where: { name } }), { timeout: 10_000 }).toBe(0);
    expect((await db.auditLog.findMany({ where: { targetId: policy.id }, orderBy: { createdAt: "asc" } })).map((a) => a.action)).toEqual([
      "quota.create", "quota.update", "quota.delete",
    ]);
  });

  it("issue 19 §4: the workspace budget shows as bars with a projected end-of-window figure, the Overview lists the crossed threshold, and an instance admin raises it from the console", async () => {
    const k = await newKey();
    const name = unique("team-budget");
    const p = await createPolicy(system, { name, scope: "workspace", tokensPerMonth: 1_000_000 });
    try {
      const req = { model: "m", messages: [{ role: "user" as const, content: "hi" }], max_tokens: 1 };
      const r = await admit(k.principal, req, { completionId: unique("c") });
      // Settled well past half of the month's budget: the 50% line is crossed (once).
      await settle(unique("s"), r.reservation, { inputTokens: 600_000, outputTokens: 1 });

      await page.goto("/quotas");
      const team = page.getByTestId("quota-workspace");
      await team.getByRole("progressbar", { name: /Tokens \/ month: 600K of 1M/ }).waitFor({ timeout: 10_000 });
      await team.getByTestId("projected").first().waitFor();
      expect(await team.getByTestId("projected").first().textContent()).toMatch(/^Projected by .+: [\d.]+[KMB]?/);
      await checkA11y(page, "quotas-workspace-budget");
      await screenshot(page, "quotas-workspace-budget");

      // The console raise (instance admins): audited, and on the policy at once.
      const raise = page.getByRole("form", { name: `Raise ${name} temporarily` });
      await raise.getByLabel("Extra tokens / month").fill("500000");
      const until = new Date(Date.now() + 86_400_000);
      const local = new Date(until.getTime() - until.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
      await raise.getByLabel("Until").fill(local);
      await raise.getByLabel("Reason").fill("quarter-end push");
      await raise.getByRole("button", { name: "Raise" }).click();
      await page.getByRole("status").filter({ hasText: "Raised." }).waitFor({ timeout: 10_000 });
      expect(await db.quotaPolicy.findUniqueOrThrow({ where: { id: p.id } })).toMatchObject({ raiseTokensPerMonth: 500_000, raiseReason: "quarter-end push" });
      expect(await db.auditLog.count({ where: { targetId: p.id, action: "quota.raise" } })).toBe(1);

      await page.goto("/");
      const crossings = page.getByTestId("quota-crossings");
      await crossings.getByText(`${name}: tokens per month crossed 50%`).waitFor({ timeout: 10_000 });
      await checkA11y(page, "overview-quota-alerts");
    } finally {
      await db.quotaPolicy.delete({ where: { id: p.id } });
    }
  });
});
