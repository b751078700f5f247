// Evaluations end to end (issue 20 "Done when"): in Chromium the admin uploads a 20-row dataset, runs
// prompt version 1 and version 2 on it with an exact-match scorer and an LLM judge on the simulator
// account, compares the two runs and reads the paired verdict. The prompts are made through the
// management API with an admin key, as a CI job would.
import { randomBytes } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { checkA11y, createKeyInConsole, openConsole, screenshot } from "../support/browser";

const baseUrl = inject("baseUrl");
const adminEmail = inject("adminEmail");
const adminPassword = inject("adminPassword");

const run = randomBytes(3).toString("hex");
const promptName = `e2e-eval-${run}`;
const rubricName = `e2e-rubric-${run}`;
const datasetName = `e2e-capitals-${run}`;

let browser: Browser;
let page: Page;
let apiKey: string;

const api = (path: string, body: unknown) =>
  fetch(`${baseUrl}${path}`, { method: "POST", headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" }, body: JSON.stringify(body) });

const content = (system: string) => ({
  type: "chat",
  messages: [{ role: "system", content: system }, { role: "user", content: "Capital of {{country}}?" }],
  variables: [{ name: "country", type: "string", required: true }],
  config: { model: "sim-small", max_tokens: 8 },
});

async function startRun(version: number): Promise<string> {
  await page.goto("/evaluations");
  await page.getByRole("link", { name: datasetName }).click();
  const form = page.getByRole("form", { name: "Start evaluation run" });
  await form.getByLabel("Prompt", { exact: true }).selectOption(promptName);
  await form.getByLabel("Prompt version").fill(String(version));
  await form.getByLabel("Exact match").check();
  await form.getByLabel("LLM judge rubric (a prompt)").selectOption(rubricName);
  await form.getByLabel("Judge model").fill("sim-small");
  await form.getByLabel("Judge passes at").fill("3");
  await form.getByRole("button", { name: "Start run" }).click();
  await page.waitForURL(/\/evaluations\/runs\//);
  // The live progress bar fills in by itself and ends at 20 done.
  await expect.poll(async () => page.getByTestId("run-progress").textContent(), { timeout: 60_000 }).toMatch(/^20 done · 0 failed · 0 remaining of 20/);
  await page.getByText("completed", { exact: true }).waitFor();
  return new URL(page.url()).pathname.split("/").pop()!;
}

describe("evaluations", () => {
  beforeAll(async () => {
    ({ browser, page } = await openConsole(baseUrl, { signInAs: { email: adminEmail, password: adminPassword }, context: { viewport: { width: 1400, height: 1000 } } }));
    apiKey = await createKeyInConsole(page, `evaluations-${run}`, "admin");
    expect((await api("/api/admin/prompts", { name: promptName, commitMessage: "Terse", labels: ["production"], ...content("Answer with the capital only.") })).status).toBe(201);
    expect((await api(`/api/admin/prompts/${promptName}/versions`, { commitMessage: "Chatty", ...content("Answer in a full sentence.") })).status).toBe(201);
    expect((await api("/api/admin/prompts", {
      name: rubricName, commitMessage: "Rubric", labels: ["production"], type: "chat",
      messages: [{ role: "system", content: "Score 1 to 5 how well the answer names the capital. Reply as JSON {score, reasoning}." }, { role: "user", content: "Answer: {{output}}\nExpected: {{expected}}" }],
      variables: [{ name: "output", type: "string" }, { name: "expected", type: "string" }],
      config: { model: "sim-small" },
    })).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  it("issue 20 done-when: upload 20 rows, run v1 and v2 with exact match and a judge on the simulator, compare, read the paired verdict", async () => {
    await page.goto("/evaluations");
    const create = page.getByRole("form", { name: "Create dataset" });
    await create.getByLabel("Dataset name").fill(datasetName);
    await create.getByRole("button", { name: "Create dataset" }).click();
    await page.getByRole("heading", { level: 1, name: datasetName }).waitFor();

    // A bad file first: refused, with the bad row named by its line.
    const upload = page.getByRole("form", { name: "Upload rows" });
    await upload.getByLabel("CSV or JSONL file").setInputFiles({ name: "bad.csv", mimeType: "text/csv", buffer: Buffer.from("country,expected\nFrance,Paris\nSpain\n") });
    await upload.getByRole("button", { name: "Upload" }).click();
    await upload.getByRole("list", { name: "Row errors" }).getByText("line 3: has 1 fields, the header 2").waitFor();

    const csv = ["country,expected", ...Array.from({ length: 20 }, (_, i) => `Country ${i + 1},City ${i + 1}`)].join("\n");
    await upload.getByLabel("CSV or JSONL file").setInputFiles({ name: "capitals.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await upload.getByRole("button", { name: "Upload" }).click();
    await upload.getByText("Version 1 saved: 20 rows.").waitFor();
    await page.getByRole("cell", { name: "City 20" }).waitFor();
    await checkA11y(page, "dataset page");
    await screenshot(page, "evaluations-dataset");

    const v1 = await startRun(1);
    await expect.poll(async () => page.getByTestId("aggregate-judge").textContent()).toMatch(/judge.*score.*20/);
    await checkA11y(page, "evaluation run page");
    await screenshot(page, "evaluations-run");
    const v2 = await startRun(2);

    await page.goto("/evaluations");
    await page.getByRole("link", { name: datasetName }).click();
    const compare = page.getByRole("form", { name: "Compare runs" });
    await compare.getByLabel("Baseline (A)").selectOption(v1);
    await compare.getByLabel("Candidate (B)").selectOption(v2);
    await compare.getByRole("button", { name: "Compare" }).click();
    await page.getByRole("heading", { level: 1, name: `${promptName} v2 against ${promptName} v1` }).waitFor();
    const verdict = page.getByTestId("paired-verdict");
    // One sentence per scorer, each a verdict in words with its paired test.
    await verdict.getByText(/exact pass rate.*McNemar/).waitFor();
    await verdict.getByText(/mean judge score.*paired t-test/).waitFor();
    expect(await verdict.getByRole("listitem").count()).toBe(2);
    await checkA11y(page, "evaluation compare page");
    await screenshot(page, "evaluations-compare");
  });
});
