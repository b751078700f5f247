// Starts the production build under the production server (scripts/server.ts,
// what `npm start` runs) against the test database, the way an operator runs
// it, so tests exercise the real request handling (streaming, client
// disconnects, headers, the drain). Builds once if no build exists.
import { spawn, type ChildProcess } from "node:child_process";
import { buildIfStale } from "../../scripts/lib/build";
import { serverCommand } from "../../scripts/lib/server-flags";
import { createServer } from "node:net";

export type AppServer = {
  url: string; port: number; pid: number; output: () => string; stop: () => Promise<void>;
  /** SIGKILL, resolved once the process is gone: a crash, with no drain and no shutdown hooks. */
  kill: () => Promise<void>;
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export function ensureBuild(): void {
  const seconds = buildIfStale();
  if (seconds) process.stdout.write(`next build took ${seconds.toFixed(1)} s\n`);
}

/**
 * `host` is the address to listen on (default loopback only); `url` always reaches it over loopback.
 * `port` when the URL must be known before the start (an OIDC client's redirect URI, AUTH_URL).
 */
export async function startApp(env: Record<string, string> = {}, { host = "127.0.0.1", port: fixedPort }: { host?: string; port?: number } = {}): Promise<AppServer> {
  ensureBuild();
  const port = fixedPort ?? (await freePort());
  let out = "";
  const child: ChildProcess = spawn(process.execPath, serverCommand(port, host), {
    env: {
      ...process.env,
      NODE_ENV: "production",
      LOG_LEVEL: process.env.TEST_APP_LOG_LEVEL ?? "warn",
      USAGE_FLUSH_MS: "100",
      NEXT_MANUAL_SIG_HANDLE: "1",
      SHUTDOWN_DEADLINE_MS: "5000",
      // Nothing balances load in front of a test server: stopping it need not wait for one to notice.
      DRAIN_GRACE_MS: "0",
      // One process, so a test that counts or stops "the instance" means one; two-worker tests set it.
      WEB_CONCURRENCY: "1",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${out}`);
    try {
      const r = await fetch(`${url}/api/health/ready`);
      if (r.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the server did not become ready:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    port,
    pid: child.pid!,
    output: () => out,
    stop: () => exited(child, () => {
      child.kill("SIGTERM");
      // Longer than SHUTDOWN_DEADLINE_MS (5 s here) so a graceful drain is never cut short.
      setTimeout(() => child.kill("SIGKILL"), 15_000).unref();
    }),
    kill: () => exited(child, () => child.kill("SIGKILL")),
  };
}

/** Sends the signal(s) in `signal` and resolves when the child has exited (at once if it already has). */
function exited(child: ChildProcess, signal: () => void): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    signal();
  });
}
