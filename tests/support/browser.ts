// Headless Chromium for the e2e tests: the system's Debian build driven by
// playwright-core (no browser download), plus the few helpers every flow needs.
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";

export const SCREENSHOT_DIR = fileURLToPath(new URL("../e2e/screenshots/", import.meta.url));

// Playwright itself starts Chromium with a fresh temporary --user-data-dir and
// deletes it on close; it refuses that flag in `args`, so it is not listed here.
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/**
 * A fresh, isolated context (own cookies and storage). The app sends a strict
 * nonce CSP, so bypassCSP lets axe's injected source run.
 */
export async function newContext(browser: Browser, baseURL: string, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL,
    bypassCSP: true,
    viewport: { width: 1280, height: 800 },
    reducedMotion: "reduce",
    ...options,
  });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  return context;
}

/** Signs in through the login form like a person would, and waits to leave /login. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname !== "/login");
}

/** A browser, a fresh context and a page, signed in when credentials are given: every flow's start. */
export async function openConsole(
  baseURL: string,
  options: { signInAs?: { email: string; password: string }; context?: BrowserContextOptions } = {},
): Promise<{ browser: Browser; context: BrowserContext; page: Page }> {
  const browser = await launchBrowser();
  try {
    const context = await newContext(browser, baseURL, options.context);
    const page = await context.newPage();
    if (options.signInAs) await signIn(page, options.signInAs.email, options.signInAs.password);
    return { browser, context, page };
  } catch (err) {
    // The caller never gets the browser to close: close it here, or the run would hang on it.
    await browser.close().catch(() => {});
    throw err;
  }
}

/** Creates an API key on the console's keys page, as an admin would, and returns the secret shown once. */
export async function createKeyInConsole(page: Page, name: string, scopes?: string): Promise<string> {
  await page.goto("/keys");
  const form = page.getByRole("form", { name: "Create API key" });
  await form.getByLabel("Name").fill(name);
  if (scopes !== undefined) await form.getByLabel("Scopes").fill(scopes);
  await form.getByRole("button", { name: "Create key" }).click();
  return (await page.getByTestId("new-api-key").textContent())!.trim();
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL((url) => url.pathname === "/login");
}

let axeSource: string | undefined;

function loadAxeSource(): string {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
  return axeSource;
}

/**
 * Waits for every finite CSS transition and animation on the page to end. A
 * button that was just re-enabled fades from its pale disabled colour for
 * 150 ms; axe measuring contrast mid-fade reports a violation that no reader
 * of the settled page would see (CI caught one on a loaded machine).
 * Infinite animations (spinners) never finish, so they are not awaited.
 */
async function settleTransitions(page: Page): Promise<void> {
  // Twice: a transition can start as another ends. Each wait is capped, so a paused animation cannot hang the test.
  for (let round = 0; round < 2; round++) {
    const running = await page.evaluate(async () => {
      const finite = document.getAnimations().filter((a) => a.effect?.getComputedTiming().endTime !== Infinity && a.playState === "running");
      await Promise.race([Promise.all(finite.map((a) => a.finished.catch(() => undefined))), new Promise((r) => setTimeout(r, 2000))]);
      return finite.length;
    });
    if (running === 0) return;
  }
}

type AxeViolation = { id: string; impact?: string | null; help: string; helpUrl: string; nodes: { target: unknown[] }[] };

/**
 * Runs axe-core (WCAG 2.x A/AA rules) on the page as it is now and throws one
 * error listing every serious or critical violation with its selectors.
 */
export async function checkA11y(page: Page, name: string): Promise<void> {
  await settleTransitions(page);
  const hasAxe = await page.evaluate(() => "axe" in window);
  if (!hasAxe) await page.evaluate(loadAxeSource());
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
      resultTypes: ["violations"],
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  });
  const blocking = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (blocking.length === 0) return;
  const lines = blocking.map(
    (v) => `  - [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n${v.nodes.map((n) => `      at ${JSON.stringify(n.target)}`).join("\n")}`,
  );
  throw new Error(`Accessibility violations on ${name} (${page.url()}):\n${lines.join("\n")}`);
}

/** Saves a full-page screenshot to tests/e2e/screenshots/<name>.png for review. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = `${SCREENSHOT_DIR}${name}.png`;
  await page.screenshot({ path, fullPage: true, animations: "disabled" });
  return path;
}
