// Prompt templates end to end against the production build and the seeded demo
// prompt (support-reply, production on v2): edit in CodeMirror and save, see the
// change in the diff, move production and see /api/completion follow, roll back,
// and watch a playground run stream in. Screenshots: list, editor, diff, history.
import pg from "pg";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { checkA11y, createKeyInConsole, openConsole, screenshot } from "../support/browser";

const baseUrl = inject("baseUrl");
const databaseUrl = inject("databaseUrl");
const PROMPT = "support-reply";
const ADDED = "Always sign off as the Promptgate team.";

let browser: Browser;
let context: BrowserContext;
let page: Page;
let db: pg.Client;
let apiKey: string;

const heading = (p: Page, name: string) => p.getByRole("heading", { level: 1, name, exact: true });

async function completion(variables: Record<string, unknown> = { customer_name: "Ann", question: "Where is my invoice?" }) {
  const res = await fetch(`${baseUrl}/api/completion`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ prompt: PROMPT, variables }),
  });
  return { status: res.status, body: (await res.json()) as { version: number; label: string; choices: { message: { content: string } }[] } };
}

/** Waits for the live preview to show `text`; on timeout, says what it shows instead. */
async function previewShows(p: Page, text: string) {
  const preview = p.getByTestId("preview");
  try {
    await preview.getByText(text).waitFor();
  } catch (e) {
    throw new Error(`preview never showed ${JSON.stringify(text)}; it shows ${JSON.stringify(await preview.innerText())} (${e instanceof Error ? e.message.split("\n")[0] : e})`);
  }
}

async function moveProduction(p: Page, to: number) {
  const row = p.getByTestId("label-row-production");
  await row.getByLabel("Version for production").selectOption(String(to));
  await row.getByRole("button", { name: "Move production" }).click();
  const confirm = row.getByRole("group", { name: "Confirm moving production" });
  await confirm.getByText(`to v${to}?`).waitFor();
  await confirm.getByRole("button", { name: "Confirm move" }).click();
  await row.getByTestId("label-version-production").getByText(`v${to}`, { exact: true }).waitFor();
  await row.getByRole("status").getByText(`Moved production to v${to}.`).waitFor();
}

describe("prompt templates in the console", () => {
  beforeAll(async () => {
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    ({ browser, context, page } = await openConsole(baseUrl, { signInAs: { email: inject("adminEmail"), password: inject("adminPassword") } }));
    // An API key for the app side, created the way an admin would.
    apiKey = await createKeyInConsole(page, "prompts-e2e");
  });

  afterAll(async () => {
    await browser?.close();
    await db?.end();
  });

  it("lists the seeded demo prompt with its production version and labels, and searches by name and tag", async () => {
    await page.goto("/prompts");
    await heading(page, "Prompts").waitFor();
    const row = page.getByTestId(`prompt-row-${PROMPT}`);
    expect(await row.getByTestId("production-version").textContent()).toBe("v2");
    expect(await row.textContent()).toContain("latest");
    await page.getByLabel("Search by name or tag").fill("support");
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForURL((u) => u.searchParams.get("q") === "support");
    await row.waitFor();
    await page.getByLabel("Search by name or tag").fill("no-such-prompt");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByText("No prompt matches").waitFor();
    await page.goto("/prompts?tag=demo");
    await row.waitFor();
    await checkA11y(page, "prompts list");
    await screenshot(page, "prompts-list");
  });

  it("edits a message in CodeMirror with variable autocomplete, previews it live and saves version 3", async () => {
    await page.goto(`/prompts/${PROMPT}`);
    await heading(page, PROMPT).waitFor();
    const editor = page.getByRole("textbox", { name: "Message 1 content" });
    await editor.waitFor();
    expect(await editor.textContent()).toContain("Greet {{customer_name}} by name");
    // {{…}} expressions are highlighted.
    expect(await editor.locator(".cm-template-expr").count()).toBeGreaterThanOrEqual(2);

    // Wait until CodeMirror owns the focus (the page hydrates after the first paint on a busy
    // machine), then type like a person: keystrokes sent before that would be lost.
    await editor.click();
    await page.locator(".cm-editor.cm-focused").first().waitFor();
    await page.keyboard.press("Control+End");
    await page.keyboard.type(` ${ADDED} Thanks, {{cust`, { delay: 15 });
    // The editor closes `{{` with `}}` as it is typed.
    await expect.poll(() => editor.textContent()).toMatch(/\{\{cust\}\}$/);
    // Picked with the mouse: on a busy machine the list can still show the
    // previous keystroke's result while the new one is pending, and Enter then
    // reaches the editor instead of the list. A click applies the option it lands on.
    const option = page.getByRole("option", { name: /customer_name/ });
    await option.click();
    await expect.poll(() => editor.textContent()).toMatch(/\{\{customer_name\}\}$/);
    await page.keyboard.type("}}");
    await page.keyboard.press("Escape");

    expect(await editor.textContent()).toMatch(/Always sign off as the Promptgate team\. Thanks, \{\{customer_name\}\}$/);
    const values = page.getByRole("form", { name: "Preview values" });
    await values.getByLabel("customer_name").fill("Ann");
    await values.getByLabel("question").fill("Where is my invoice?");
    await previewShows(page, `${ADDED} Thanks, Ann`);

    await checkA11y(page, "prompt editor");
    await screenshot(page, "prompt-editor");

    await page.getByLabel("Commit message").fill("Sign off as the team");
    await page.getByRole("button", { name: "Save version" }).click();
    await page.getByRole("status").getByText("Saved version 3.").waitFor();
    const { rows } = await db.query<{ messages: { content: string }[]; commitMessage: string }>(
      `SELECT v.messages, v."commitMessage" FROM "PromptVersion" v JOIN "Prompt" p ON p.id = v."promptId" WHERE p.name = $1 AND v.version = 3`,
      [PROMPT],
    );
    expect(rows[0]!.commitMessage).toBe("Sign off as the team");
    expect(rows[0]!.messages[0]!.content).toMatch(/Always sign off as the Promptgate team\. Thanks, \{\{customer_name\}\}$/);
  });

  it("refuses a save built on a stale version with a conflict, and keeps the draft", async () => {
    const other = await context.newPage();
    try {
      await page.goto(`/prompts/${PROMPT}`);
      await other.goto(`/prompts/${PROMPT}`);
      for (const p of [page, other]) await p.getByRole("textbox", { name: "Message 1 content" }).waitFor();
      // Someone else saves version 4 first.
      await other.getByRole("textbox", { name: "Message 1 content" }).click();
      await other.keyboard.press("Control+End");
      await other.keyboard.type(" (v4)");
      await other.getByLabel("Commit message").fill("Their change");
      await other.getByRole("button", { name: "Save version" }).click();
      await other.getByRole("status").getByText("Saved version 4.").waitFor();

      const editor = page.getByRole("textbox", { name: "Message 1 content" });
      await editor.click();
      await page.keyboard.press("Control+End");
      await page.keyboard.type(" (mine)");
      await page.getByLabel("Commit message").fill("My change");
      await page.getByRole("button", { name: "Save version" }).click();
      const conflict = page.getByTestId("save-conflict");
      await conflict.waitFor();
      expect(await conflict.textContent()).toContain("Version 4 was saved by");
      expect(await editor.textContent()).toContain("(mine)");
      await conflict.getByRole("button", { name: "Compare my draft with v4" }).click();
      await page.getByTestId("version-diff").locator("ins", { hasText: "mine" }).waitFor();
      const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM "PromptVersion" v JOIN "Prompt" p ON p.id = v."promptId" WHERE p.name = $1`, [PROMPT]);
      expect(Number(rows[0]!.n)).toBe(4);
    } finally {
      await other.close();
    }
  });

  it("shows the saved change in the side-by-side word diff", async () => {
    await page.goto(`/prompts/${PROMPT}/history`);
    await page.getByTestId("history-v3").getByRole("link", { name: "Compare with v2" }).click();
    await page.waitForURL((u) => u.pathname.endsWith("/diff") && u.searchParams.get("to") === "3");
    const diff = page.getByTestId("version-diff");
    await diff.locator("ins", { hasText: "Always sign off" }).first().waitFor();
    const first = diff.getByRole("listitem", { name: "Message 1: changed" });
    expect(await first.locator("ins").allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining("Always sign off")]));
    expect(await diff.getByRole("listitem", { name: "Message 2: unchanged" }).count()).toBe(1);
    await checkA11y(page, "prompt diff");
    await screenshot(page, "prompt-diff");
  });

  it("moves production to version 3 after confirmation, and /api/completion then serves version 3", async () => {
    expect((await completion()).body).toMatchObject({ version: 2, label: "production" });
    await page.goto(`/prompts/${PROMPT}/history`);
    await page.getByTestId("history-timeline").waitFor();
    expect(await page.getByTestId("history-v3").textContent()).toContain("Sign off as the team");
    await checkA11y(page, "prompt history");
    await screenshot(page, "prompt-history");

    await moveProduction(page, 3);
    const r = await completion();
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ version: 3, label: "production" });
    expect(r.body.choices[0]!.message.content.length).toBeGreaterThan(0);
  });

  it("rolls back by moving production to version 2, audited", async () => {
    await moveProduction(page, 2);
    expect((await completion()).body).toMatchObject({ version: 2, label: "production" });
    const { rows } = await db.query<{ before: { version: number }; after: { version: number } }>(
      `SELECT before, after FROM "AuditLog" WHERE action = 'prompt.label.move' AND after->>'prompt' = $1 ORDER BY "createdAt"`,
      [PROMPT],
    );
    expect(rows.map((r) => [r.before.version, r.after.version]).slice(-2)).toEqual([[2, 3], [3, 2]]);
  });

  it("streams a playground run incrementally and records it as playground usage", async () => {
    await page.goto(`/prompts/${PROMPT}`);
    const values = page.getByRole("form", { name: "Preview values" });
    await values.getByLabel("customer_name").fill("Ann");
    await values.getByLabel("question").fill("How do I reset my password?");
    const panel = page.getByRole("region", { name: "Playground" });
    await panel.getByLabel("Run").selectOption("2");
    await panel.getByLabel("Account").selectOption({ label: "Simulator (no real model)" });
    await panel.getByLabel("Model").fill("sim-small");
    await panel.getByRole("button", { name: "Run" }).click();

    const output = page.getByTestId("playground-output");
    const lengths: number[] = [];
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const text = (await output.textContent()) ?? "";
      if (text && !text.startsWith("Output appears")) lengths.push(text.length);
      if ((await page.getByTestId("playground-stats").getByText("done", { exact: true }).count()) > 0) break;
      await page.waitForTimeout(25);
    }
    const distinct = [...new Set(lengths)];
    // The text grew in steps while streaming: several different partial lengths, never shrinking.
    expect(distinct.length).toBeGreaterThanOrEqual(3);
    expect(lengths).toEqual([...lengths].sort((a, b) => a - b));
    await page.getByTestId("playground-cost").getByText("$0.000000").waitFor();

    const { rows } = await db.query<{ source: string; apiKeyId: string | null; version: number; status: string; outputTokens: number }>(
      `SELECT u.source, u."apiKeyId", v.version, u.status, u."outputTokens" FROM "UsageEvent" u JOIN "PromptVersion" v ON v.id = u."promptVersionId"
       WHERE u.source = 'playground' ORDER BY u."createdAt" DESC LIMIT 1`,
    );
    expect(rows[0]).toMatchObject({ source: "playground", apiKeyId: null, version: 2, status: "ok" });
    expect(rows[0]!.outputTokens).toBeGreaterThan(0);
    await screenshot(page, "prompt-playground");
  });

  it("sets a global variable and creates a new prompt that uses it, with version 1 labelled production", async () => {
    await page.goto("/prompts/globals");
    await heading(page, "Global variables").waitFor();
    const form = page.getByRole("form", { name: "Set a global variable" });
    await form.getByLabel("Name").fill("company");
    await form.getByLabel("Value").fill("Acme");
    await form.getByRole("button", { name: "Save" }).click();
    await page.getByRole("cell", { name: '"Acme"' }).waitFor();
    await checkA11y(page, "global variables");

    await page.goto("/prompts/new");
    await heading(page, "New prompt").waitFor();
    await page.getByLabel("Name", { exact: true }).fill("welcome-mail");
    await page.getByLabel("Tags").fill("email");
    await page.getByLabel("Label the first version production").check();
    const editor = page.getByRole("textbox", { name: "Message 1 content" });
    await editor.click();
    await page.keyboard.press("Control+A");
    await page.keyboard.type("Write for {{company}}.");
    await page.getByRole("form", { name: "Preview values" }).getByLabel("question").fill("hi");
    await previewShows(page, "Write for Acme.");
    await checkA11y(page, "new prompt");
    await page.getByRole("button", { name: "Create prompt" }).click();
    await page.waitForURL((u) => u.pathname === "/prompts/welcome-mail");
    await heading(page, "welcome-mail").waitFor();
    const res = await fetch(`${baseUrl}/api/completion`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ prompt: "welcome-mail", variables: { question: "hi" } }),
    });
    expect(await res.json()).toMatchObject({ prompt: "welcome-mail", version: 1, label: "production" });
  });

  it("edits a prompt's description, tags and protected labels on its settings tab, audited", async () => {
    await page.goto("/prompts/welcome-mail");
    await page.getByRole("navigation", { name: "Prompt sections" }).getByRole("link", { name: "Settings" }).click();
    const form = page.getByRole("form", { name: "Prompt settings" });
    await expect.poll(() => form.getByLabel("Tags").inputValue()).toBe("email");
    await expect.poll(() => form.getByRole("checkbox", { name: "production" }).isChecked()).toBe(true);
    await checkA11y(page, "prompt settings");
    await form.getByLabel("Description").fill("Welcome mail for new customers");
    await form.getByLabel("Tags").fill("email, onboarding");
    await form.getByLabel("Also protect").fill("staging");
    await form.getByRole("button", { name: "Save settings" }).click();
    await form.getByRole("status").getByText("Saved").waitFor();
    // The page header shows the new description once the layout re-renders.
    await page.getByText("Welcome mail for new customers").first().waitFor();
    await expect.poll(() => form.getByRole("checkbox", { name: "staging" }).isChecked()).toBe(true);
    expect(await form.getByLabel("Also protect").inputValue()).toBe("");
    await screenshot(page, "prompt-settings");

    const { rows } = await db.query<{ description: string; tags: string[]; protectedLabels: string[] }>(
      `SELECT description, tags, "protectedLabels" FROM "Prompt" WHERE name = 'welcome-mail'`,
    );
    expect(rows[0]).toEqual({ description: "Welcome mail for new customers", tags: ["email", "onboarding"], protectedLabels: ["production", "staging"] });
    const audit = await db.query<{ after: { tags: string[] } }>(
      `SELECT a.after FROM "AuditLog" a JOIN "Prompt" p ON a."targetId" = p.id::text WHERE a.action = 'prompt.update' AND p.name = 'welcome-mail' ORDER BY a."createdAt" DESC LIMIT 1`,
    );
    expect(audit.rows[0]?.after.tags).toEqual(["email", "onboarding"]);
    await page.goto("/prompts?tag=onboarding");
    await page.getByRole("link", { name: "welcome-mail" }).waitFor();
    expect(await page.getByRole("link", { name: PROMPT, exact: true }).count()).toBe(0); // untagged prompts are filtered out
  });
});
