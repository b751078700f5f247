// Issue 20 §2 in Chromium: the template editor autocompletes an include (`{{> name@label}}`): the
// workspace's prompt names after `{{>`, then the chosen prompt's labels after `@`, and the live
// preview renders the included text in place.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createKeyInConsole, openConsole } from "../support/browser";

const baseUrl = inject("baseUrl");
const run = Date.now().toString(36);
const TONE = `tone-${run}`;
const PARENT = `uses-tone-${run}`;

let browser: Browser;
let page: Page;

describe("prompt includes in the editor", () => {
  beforeAll(async () => {
    ({ browser, page } = await openConsole(baseUrl, { signInAs: { email: inject("adminEmail"), password: inject("adminPassword") } }));
    const key = await createKeyInConsole(page, `includes-e2e-${run}`, "completions admin");
    const create = (body: unknown) =>
      fetch(`${baseUrl}/api/admin/prompts`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await create({ name: TONE, type: "text", text: "Be brief.", labels: ["staging"] })).status).toBe(201);
    expect((await create({ name: PARENT, messages: [{ role: "system", content: "Hello." }] })).status).toBe(201);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("issue 20 §2: offers prompt names after {{> and labels after @, and previews the included text", async () => {
    await page.goto(`/prompts/${PARENT}`);
    const editor = page.getByRole("textbox", { name: "Message 1 content" });
    await editor.waitFor();
    await editor.click();
    await page.locator(".cm-editor.cm-focused").first().waitFor();
    await page.keyboard.press("Control+End");
    await page.keyboard.type(" {{> tone-", { delay: 15 });
    await page.getByRole("option", { name: new RegExp(TONE) }).click();
    await expect.poll(() => editor.textContent()).toContain(`{{> ${TONE}`);
    await page.keyboard.type("@", { delay: 15 });
    await page.getByRole("option", { name: /staging/ }).click();
    await page.keyboard.press("Escape");
    await expect.poll(() => editor.textContent()).toBe(`Hello. {{> ${TONE}@staging}}`);
    await page.getByTestId("preview").getByText("Hello. Be brief.").waitFor();
  });
});
