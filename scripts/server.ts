// The production HTTP server: `npm start`, the container and the test harness
// run this instead of `next start`. It is Next's documented custom server
// (next({ dev: false }) + getRequestHandler()) on a plain node:http server that
// Promptgate owns, so that a drain can stop accepting connections, answer new
// calls with 503 after the grace period, and exit only when the last accepted
// request has ended (lib/observability/lifecycle.ts drives all of that).
//
// This file imports nothing from lib/: module state (caches, the usage writer,
// LISTEN connections) lives in the modules Next loads, once per process. The
// only contract between the two is the handle on globalThis below.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import next from "next";

/** Set here before Next starts; lib/observability/lifecycle.ts installs the gate into it. */
export type HttpHandle = {
  server: Server;
  /** Answers the request itself (a refusal while draining) and returns true, or returns false to let Next answer. */
  gate: ((req: IncomingMessage, res: ServerResponse) => boolean) | null;
};

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  // Raw, as this file imports nothing from lib/: PORT and HOSTNAME are in lib/config,
  // which the launcher (npm start) and instrumentation.ts validate before anything listens.
  const port = Number(arg("port") ?? process.env.PORT ?? 3000);
  const hostname = arg("hostname") ?? process.env.HOSTNAME ?? "0.0.0.0";
  const dir = fileURLToPath(new URL("..", import.meta.url));
  (process.env as Record<string, string>).NODE_ENV = "production";
  // Promptgate owns SIGTERM (lifecycle.ts): Next must not install its own handlers.
  process.env.NEXT_MANUAL_SIG_HANDLE = "1";

  let handle: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | null = null;
  const server = createServer((req, res) => {
    if (http.gate?.(req, res)) return;
    if (!handle) {
      res.writeHead(503, { "content-type": "application/json", "retry-after": "1" }).end('{"error":{"code":"service_unavailable","message":"Starting"}}');
      return;
    }
    void handle(req, res);
  });
  const http: HttpHandle = { server, gate: null };
  (globalThis as { __promptgateHttp?: HttpHandle }).__promptgateHttp = http;

  const app = next({ dev: false, dir, hostname, port, customServer: true });
  await app.prepare();
  handle = app.getRequestHandler();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => resolve());
  });
  process.stderr.write(`Promptgate listening on http://${hostname}:${port}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
