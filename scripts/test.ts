// `npm test`: every check, in order: types, lint, unit, integration, end-to-end.
// All steps run even after a failure so one run shows everything; the last line
// is the total over all steps ("N passed, N failed") and the exit code is
// non-zero on any failure. A step that cannot run (no Chromium) fails; it is
// never skipped.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";

type Step = { name: string; passed: number; failed: number; skipped: number; seconds: number };
const results: Step[] = [];
const only = process.argv.slice(2); // e.g. `npm test -- unit integration`
const wanted = (name: string) => only.length === 0 || only.includes(name);

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const r = spawnSync(cmd, args, { stdio: "inherit", env });
  return r.status ?? 1;
}

function heading(s: string) {
  process.stdout.write(`\n━━ ${s} ${"━".repeat(Math.max(0, 60 - s.length))}\n`);
}

function check(name: string, cmd: string, args: string[]) {
  if (!wanted(name)) return;
  heading(name);
  const t = performance.now();
  const code = run(cmd, args);
  results.push({ name, passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, skipped: 0, seconds: (performance.now() - t) / 1000 });
}

function vitest(project: string, env?: NodeJS.ProcessEnv, step = project, files: string[] = []) {
  if (!wanted(step)) return;
  heading(`${step} tests`);
  const out = `.data/test-results/${step.replace(/\W+/g, "-")}.json`;
  mkdirSync(".data/test-results", { recursive: true });
  rmSync(out, { force: true });
  const t = performance.now();
  const code = run("npx", ["vitest", "run", "--project", project, ...files, "--reporter=default", "--reporter=json", `--outputFile.json=${out}`], env);
  const seconds = (performance.now() - t) / 1000;
  let passed = 0, failed = 0, skipped = 0;
  if (existsSync(out)) {
    const r = JSON.parse(readFileSync(out, "utf8")) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number; numTotalTests: number };
    passed = r.numPassedTests;
    failed = r.numFailedTests;
    skipped = r.numPendingTests + r.numTodoTests;
  }
  // A crashed runner, a failing hook or an empty suite is a failure, not a pass.
  if (code !== 0 && failed === 0) failed = 1;
  if (passed + failed === 0) failed = 1;
  results.push({ name: `${step} tests`, passed, failed, skipped, seconds });
}

function findChromium(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter(Boolean) as string[];
  return candidates.find((p) => existsSync(p)) ?? null;
}

function ensureChromium(): string | null {
  const found = findChromium();
  if (found) return found;
  const root = process.getuid?.() === 0;
  const apt = spawnSync("sh", ["-c", "command -v apt-get"]).status === 0;
  if (root && apt) {
    process.stdout.write("Chromium not found: installing Debian's `chromium` package with apt-get (one time)…\n");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    run("apt-get", ["update", "-qq"], env);
    run("apt-get", ["install", "-y", "-qq", "chromium"], env);
    return findChromium();
  }
  return null;
}

check("typecheck", "npx", ["tsc", "--noEmit", "-p", "."]);
check("lint", "npx", ["eslint", ".", "--max-warnings=0"]);
vitest("unit");
vitest("integration");
// The production server serves the hot API routes through its fast door (scripts/lib/fast-door.ts), which
// the integration suite above exercised; the gateway suite runs again through Next's own request handler,
// so both doors answer alike.
vitest("integration", { ...process.env, PROMPTGATE_FAST_DOOR: "false" }, "front-door", ["tests/integration/gateway", "tests/integration/prompts/prompts-api.test.ts"]);
if (wanted("e2e")) {
  const chromium = ensureChromium();
  if (!chromium) {
    heading("e2e tests");
    process.stdout.write(
      "Chromium is required for the end-to-end tests and was not found.\n" +
        "Install Debian's package (`sudo apt-get install -y chromium`) or set CHROMIUM_PATH to a Chromium binary.\n",
    );
    results.push({ name: "e2e tests", passed: 0, failed: 1, skipped: 0, seconds: 0 });
  } else {
    vitest("e2e", { ...process.env, CHROMIUM_PATH: chromium });
  }
}

heading("summary");
for (const r of results) {
  const status = r.failed ? "FAIL" : "ok  ";
  process.stdout.write(`${status}  ${r.name.padEnd(20)} ${String(r.passed).padStart(4)} passed ${String(r.failed).padStart(3)} failed${r.skipped ? ` ${r.skipped} skipped` : ""}  ${r.seconds.toFixed(1)}s\n`);
}
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
const skipped = results.reduce((n, r) => n + r.skipped, 0);
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`);
process.exit(failed ? 1 : 0);
