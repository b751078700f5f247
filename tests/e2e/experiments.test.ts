// Experiments end to end against the production build: an editor-level flow in
// Chromium (create, start, read results, promote) around real traffic sent to
// /api/completion and /api/feedback by an app holding an API key. The upstream
// is the built-in simulator account the seed creates.
import { randomBytes } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { checkA11y, createKeyInConsole, openConsole, screenshot } from "../support/browser";

const baseUrl = inject("baseUrl");
const adminEmail = inject("adminEmail");
const adminPassword = inject("adminPassword");

const run = randomBytes(3).toString("hex");
const promptName = `e2e-exp-${run}`;
const experimentName = `Greeting test ${run}`;
const SUBJECTS = 200;
const PER_SUBJECT = 2;

let browser: Browser;
let page: Page;
let apiKey: string;

const api = (path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
  fetch(`${baseUrl}${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });

const content = (system: string) => ({
  type: "chat",
  messages: [{ role: "system", content: system }, { role: "user", content: "{{question}}" }],
  variables: [{ name: "question", type: "string", required: true }],
  config: { model: "sim-small", max_tokens: 8 },
});

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

describe("experiments", () => {
  beforeAll(async () => {
    ({ browser, page } = await openConsole(baseUrl, { signInAs: { email: adminEmail, password: adminPassword } }));
    // An app key that may also manage prompts (admin scope), created like an operator would.
    apiKey = await createKeyInConsole(page, `experiments-${run}`, "completions admin");

    const created = await api("/api/admin/prompts", { body: { name: promptName, commitMessage: "Plain", labels: ["production"], ...content("Answer plainly.") } });
    expect(created.status).toBe(201);
    const v2 = await api(`/api/admin/prompts/${promptName}/versions`, { body: { commitMessage: "Greet by name", ...content("Greet the customer by name, then answer.") } });
    expect(v2.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  let experimentUrl = "";
  const variantOf = new Map<string, string>();
  const completions: { id: string; variant: string }[] = [];

  it("creates an experiment with two variants in the console and starts it", async () => {
    await page.goto("/experiments");
    await page.getByRole("link", { name: "New experiment" }).click();
    await page.getByRole("heading", { level: 1, name: "New experiment" }).waitFor();
    const form = page.getByRole("form", { name: "Create experiment" });
    await form.getByLabel("Name", { exact: true }).fill(experimentName);
    await form.getByLabel("Prompt", { exact: true }).selectOption(promptName);
    await form.getByLabel("Label whose traffic is split").selectOption("production");
    await form.getByLabel("Hypothesis").fill("Greeting the customer by name earns more thumbs-up.");
    await form.getByLabel("Variant 1 version").selectOption("1");
    await form.getByLabel("Variant 2 version").selectOption("2");
    await checkA11y(page, "new experiment");
    await screenshot(page, "experiment-new");
    await form.getByRole("button", { name: "Create draft" }).click();
    await page.waitForURL(/\/experiments\/[0-9a-f-]{36}$/);
    experimentUrl = new URL(page.url()).pathname;
    await page.getByRole("heading", { level: 1, name: experimentName }).waitFor();
    // A draft has no verdict yet.
    await page.getByTestId("verdict-not-started").waitFor();
    expect(await page.getByTestId("verdict-B").count()).toBe(0);
    await page.getByRole("button", { name: "Start experiment" }).click();
    await page.getByTestId("lifecycle").getByRole("button", { name: "Pause" }).waitFor();
  });

  it(`sends ${SUBJECTS * PER_SUBJECT} completions from ${SUBJECTS} subjects, each subject always getting the same variant`, async () => {
    const calls = Array.from({ length: SUBJECTS * PER_SUBJECT }, (_, i) => `subject-${run}-${i % SUBJECTS}`);
    const results = await pool(calls, 24, async (subject) => {
      // Half the subjects identify through the body's `user`, half through the header.
      const viaHeader = Number(subject.split("-").at(-1)) % 2 === 0;
      const res = await api("/api/completion", {
        body: { prompt: promptName, variables: { question: "Where is my order?" }, ...(viaHeader ? {} : { user: subject }) },
        headers: viaHeader ? { "x-promptgate-subject": subject } : {},
      });
      const body = (await res.json()) as { id: string; variant: string; version: number; experiment: { sticky: boolean } };
      expect(res.status).toBe(200);
      expect(res.headers.get("x-promptgate-variant")).toBe(body.variant);
      expect(body.experiment.sticky).toBe(true);
      expect(body.version).toBe(body.variant === "A" ? 1 : 2);
      return { subject, id: body.id, variant: body.variant };
    });
    for (const r of results) {
      const before = variantOf.get(r.subject);
      expect(before === undefined || before === r.variant, `${r.subject} saw ${before} and ${r.variant}`).toBe(true);
      variantOf.set(r.subject, r.variant);
      completions.push({ id: r.id, variant: r.variant });
    }
    const perVariant = [...variantOf.values()].reduce<Record<string, number>>((acc, v) => ({ ...acc, [v]: (acc[v] ?? 0) + 1 }), {});
    expect(Object.keys(perVariant).sort()).toEqual(["A", "B"]);
    expect(perVariant.A).toBeGreaterThan(60);
    expect(perVariant.B).toBeGreaterThan(60);
  });

  it("takes feedback that favours B", async () => {
    // Deterministic thumbs: 80% up for B, 40% for A (golden-ratio sequence, so no luck involved).
    const statuses = await pool(completions, 24, async ({ id, variant }) => {
      const i = completions.findIndex((c) => c.id === id);
      const up = (i * 0.6180339887) % 1 < (variant === "B" ? 0.8 : 0.4);
      const res = await api("/api/feedback", { body: { completion_id: id, name: "thumbs", value: up ? 1 : 0 } });
      return res.status;
    });
    expect(statuses.every((s) => s === 200)).toBe(true);
  });

  it("shows B ahead on the results page, with confidence intervals and a verdict", async () => {
    await page.goto(experimentUrl);
    await page.getByRole("heading", { level: 1, name: experimentName }).waitFor();
    // Live refresh (TanStack Query) picks up the numbers; reloads are not needed.
    await expect.poll(async () => Number((await page.getByTestId("primary-row-B").locator("td").nth(1).textContent())?.replace(/,/g, "")), { timeout: 20_000 }).toBeGreaterThan(100);
    const rate = async (v: string) => Number((await page.getByTestId(`primary-mean-${v}`).textContent())!.replace("%", ""));
    expect(await rate("B")).toBeGreaterThan(await rate("A"));
    await expect.poll(async () => page.getByTestId("verdict-B").textContent()).toContain("significant");
    expect(await page.getByTestId("primary-row-B").textContent()).toMatch(/\d+\.\d% to \d+\.\d%/);
    expect(Number((await page.getByTestId("pbest-B").textContent())!.replace("%", ""))).toBeGreaterThan(95);
    expect(await page.getByTestId("requests-A").textContent()).not.toBe("0");
    // The cumulative chart draws one series per variant. All 400 calls can land within a second, so a
    // series may be a single point with an empty bounding box: check the drawn paths, not visibility.
    await page.getByTestId("chart-cumulative").locator(".recharts-line").first().waitFor({ state: "attached" });
    const series = await page.getByTestId("chart-cumulative").locator(".recharts-line path, .recharts-line-dots circle, .recharts-line-dot").count();
    expect(series).toBeGreaterThanOrEqual(2);
    await checkA11y(page, "experiment results");
    await screenshot(page, "experiment-results");
  });

  it("promotes the winner: production moves to B's version and the split stops", async () => {
    await page.getByRole("button", { name: "Complete…" }).click();
    const form = page.getByRole("form", { name: "Complete experiment" });
    await form.getByLabel("Winner").selectOption("B");
    await form.getByRole("button", { name: "Complete and promote" }).click();
    await page.getByTestId("lifecycle").getByRole("button", { name: "Complete…" }).waitFor({ state: "detached" });
    await page.getByText("winner B").first().waitFor();
    await screenshot(page, "experiment-completed");

    const detail = (await (await api(`/api/admin/prompts/${promptName}`)).json()) as { labels: { name: string; version: number }[] };
    expect(detail.labels.find((l) => l.name === "production")?.version).toBe(2);
    const after = await api("/api/completion", { body: { prompt: promptName, variables: { question: "hi" }, user: `subject-${run}-1` } });
    expect(after.headers.get("x-promptgate-variant")).toBeNull();
    expect(((await after.json()) as { version: number }).version).toBe(2);

    await page.goto("/experiments");
    await page.getByTestId(`experiment-row-${experimentName}`).getByText("completed").waitFor();
    await screenshot(page, "experiments-list");
  });

  it("shows the seeded demo experiment with both phases, marked as demo data", async () => {
    await page.goto("/experiments");
    const row = page.getByTestId("experiment-row-Greeting by name (demo)");
    await row.getByText("demo data").waitFor();
    await row.getByRole("link").click();
    await page.getByRole("heading", { level: 1, name: "Greeting by name (demo)" }).waitFor();
    const phases = page.getByRole("navigation", { name: "Phases" });
    await phases.getByRole("button", { name: /^Phase 2/ }).waitFor();
    expect(await page.getByTestId("chart-cumulative").getAttribute("data-points")).not.toBe("0");
    await checkA11y(page, "demo experiment");
    await screenshot(page, "experiment-demo-phase2");
    await phases.getByRole("button", { name: /^Phase 1/ }).click();
    await page.getByText(/^Phase 1: .* to 2/).waitFor();
    await screenshot(page, "experiment-demo-phase1");
  });
});
