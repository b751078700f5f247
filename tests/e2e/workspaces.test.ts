// Workspaces end to end (issue 18, "done when"): on a fresh start the instance
// admin creates two workspaces in the console, switches to each with the header's
// switcher and creates its editor and its key there. Each editor sees only their
// own workspace's prompts, and the same prompt name returns a different template
// through each workspace's key.
import { randomBytes } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, newContext, screenshot, signIn, createKeyInConsole } from "../support/browser";
import { adminCliOn } from "../support/cli";

const baseUrl = inject("baseUrl");
const databaseUrl = inject("databaseUrl");

const run = randomBytes(3).toString("hex");
// An instance admin of its own: the current workspace is remembered per user, and the browser
// tests that run after this file expect the seeded admin to still be in Default.
const adminEmail = `instance-admin-${run}@e2e.test`;
const adminPassword = `pw-${randomBytes(12).toString("hex")}`;
const SHARED = `support-bot-${run}`;
const teams = (["a", "b"] as const).map((t) => ({
  t,
  name: `Team ${t.toUpperCase()} ${run}`,
  slug: `team-${t}-${run}`,
  editor: { name: `Editor ${t.toUpperCase()}`, email: `editor-${t}-${run}@e2e.test`, password: `pw-${t}-${randomBytes(8).toString("hex")}` },
  only: `only-${t}-${run}`,
  key: "",
}));

let browser: Browser;
let page: Page;

async function switchTo(p: Page, label: RegExp): Promise<void> {
  const select = p.getByTestId("workspace-switcher");
  const option = select.locator("option", { hasText: label });
  const value = (await option.getAttribute("value"))!;
  await select.selectOption(value);
  await expect.poll(async () => {
    await p.reload();
    return p.getByTestId("workspace-switcher").inputValue();
  }, { timeout: 15_000 }).toBe(value);
}

async function createPromptWithKey(key: string, name: string, system: string): Promise<void> {
  const res = await fetch(`${baseUrl}/api/admin/prompts`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ name, type: "chat", messages: [{ role: "system", content: system }], config: { model: "sim-small" }, labels: ["production"], commitMessage: "v1" }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
}

describe("workspaces", () => {
  beforeAll(async () => {
    const made = adminCliOn(databaseUrl, adminPassword, "users", "create", "--email", adminEmail, "--role", "admin", "--password", "-");
    if (made.code !== 0) throw new Error(`admin CLI failed: ${made.err}`);
    browser = await launchBrowser();
    page = await (await newContext(browser, baseUrl)).newPage();
    await signIn(page, adminEmail, adminPassword);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("the instance admin creates two workspaces, and in each (through the header's switcher) its editor and its key", async () => {
    await page.goto("/workspaces");
    for (const team of teams) {
      const form = page.getByRole("form", { name: "Create workspace" });
      await form.getByLabel("Name").fill(team.name);
      await form.getByLabel("Slug").fill(team.slug);
      await form.getByRole("button", { name: "Create workspace" }).click();
      await form.getByText(`Created ${team.name}`).waitFor();
    }
    await page.getByTestId(`workspace-${teams[1]!.slug}`).waitFor();
    await screenshot(page, "workspaces");

    for (const team of teams) {
      await page.goto("/users");
      await switchTo(page, new RegExp(team.name));
      const form = page.getByRole("form", { name: "Create user" });
      await form.getByLabel("Name").fill(team.editor.name);
      await form.getByLabel("Email").fill(team.editor.email);
      await form.getByLabel("Role").selectOption("editor");
      await form.getByLabel("Password").fill(team.editor.password);
      await form.getByRole("button", { name: "Create user" }).click();
      await form.getByText(`Created ${team.editor.email}`).waitFor();
      team.key = await createKeyInConsole(page, `team-${team.t}-${run}`, "completions,admin");
      // The same name in both workspaces, and one prompt only this workspace has.
      await createPromptWithKey(team.key, SHARED, `You are ${team.name}'s assistant.`);
      await createPromptWithKey(team.key, team.only, "Only here.");
    }
    // The members table shows each editor in their own workspace only.
    await page.goto("/workspaces");
    for (const [i, team] of teams.entries()) {
      const card = page.getByTestId(`workspace-${team.slug}`);
      await expect.poll(() => card.textContent()).toContain(team.editor.email);
      expect(await card.textContent()).not.toContain(teams[1 - i]!.editor.email);
    }
  });

  it("each editor sees only their own workspace's prompts, with no way to switch to the other", async () => {
    for (const [i, team] of teams.entries()) {
      const other = teams[1 - i]!;
      const ctx = await newContext(browser, baseUrl);
      const p = await ctx.newPage();
      await signIn(p, team.editor.email, team.editor.password);
      await expect.poll(() => p.getByTestId("current-role").textContent()).toBe("editor");
      expect(await p.getByTestId("workspace-name").textContent()).toBe(team.name);
      await p.goto("/prompts");
      const text = (await p.locator("main").textContent()) ?? "";
      expect(text).toContain(SHARED);
      expect(text).toContain(team.only);
      expect(text).not.toContain(other.only);
      await screenshot(p, `workspaces-prompts-${team.t}`);
      // The other workspace's prompt, by its address: not found.
      const res = await p.goto(`/prompts/${other.only}`);
      expect(res?.status()).toBe(404);
      await ctx.close();
    }
  });

  it("the same prompt name returns each workspace's own template through its key", async () => {
    const got = await Promise.all(
      teams.map(async (team) => {
        const res = await fetch(`${baseUrl}/api/prompts/${SHARED}`, { headers: { authorization: `Bearer ${team.key}` } });
        expect(res.status).toBe(200);
        return ((await res.json()) as { messages: { content: string }[] }).messages[0]!.content;
      }),
    );
    expect(got).toEqual([`You are ${teams[0]!.name}'s assistant.`, `You are ${teams[1]!.name}'s assistant.`]);
    // A completion through each key is served by its own workspace's prompt and counted there.
    for (const team of teams) {
      const res = await fetch(`${baseUrl}/api/completion`, {
        method: "POST",
        headers: { authorization: `Bearer ${team.key}`, "content-type": "application/json" },
        body: JSON.stringify({ prompt: team.only, variables: {} }),
      });
      expect(res.status).toBe(200);
    }
  });
});
