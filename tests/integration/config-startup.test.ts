import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startApp } from "../support/app-server";
import { ROOT } from "../support/postgres";

// Security #13.8: a setting read with a raw Number(...) let SHUTDOWN_DEADLINE_MS=30s
// through as NaN, and the first SIGTERM cut every stream. Both doors refuse a bad
// value at start, naming it: the launcher before it starts anything, and the
// production server (the container and the test harness run it directly) before it serves.

function runNpmStart(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  // Exactly what `npm start` runs, without npm and its shell.
  const [cmd, ...args] = (JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")) as { scripts: Record<string, string> }).scripts.start!.split(" ");
  const child = spawn(cmd!, args, { cwd: ROOT, env: { ...process.env, PATH: `${ROOT}node_modules/.bin:${process.env.PATH}`, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((resolve) =>
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    }),
  );
}

describe("security #13.8 env: start-up refuses a malformed setting", () => {
  it("security #13.8 env: npm start refuses SHUTDOWN_DEADLINE_MS=30s and USAGE_FLUSH_MS=half before starting anything, naming both", async () => {
    const { code, out } = await runNpmStart({ SHUTDOWN_DEADLINE_MS: "30s", USAGE_FLUSH_MS: "half", PORT: "3999" });
    expect(code, out).toBe(1);
    expect(out).toMatch(/Invalid configuration:/);
    expect(out).toMatch(/^\s+- SHUTDOWN_DEADLINE_MS: .+$/m);
    expect(out).toMatch(/^\s+- USAGE_FLUSH_MS: .+$/m);
    // Refused before the database, the migrations and the build: no stack trace, nothing started.
    expect(out).not.toMatch(/\bat .+\.ts:\d+/);
    expect(out).not.toMatch(/migrations|building the app|embedded Postgres/);
  }, 90_000);

  it("security #13.8 env: the production server refuses GATEWAY_RETRY_BASE_MS=0.1s before it serves, naming the variable", async () => {
    let failure: unknown;
    try {
      const app = await startApp({ GATEWAY_RETRY_BASE_MS: "0.1s" });
      await app.stop();
    } catch (e) {
      failure = e;
    }
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/the server exited/);
    expect((failure as Error).message).toMatch(/GATEWAY_RETRY_BASE_MS: /);
  }, 300_000);
});
