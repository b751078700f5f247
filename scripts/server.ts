// The production HTTP server: `npm start`, the container and the test harness
// run this instead of `next start`. It is Next's documented custom server
// (next({ dev: false }) + getRequestHandler()) on a plain node:http server that
// Promptgate owns:
// - two doors: the hot API routes go straight to their compiled route handlers
//   (scripts/lib/fast-door.ts), everything else through Next's request handler;
// - one worker per core (WEB_CONCURRENCY; 1 keeps a single process): workers
//   are instances like any other, sharing one port through node:cluster;
// - a drain that stops accepting connections, answers new calls with 503 after
//   the grace period, and exits only when the last accepted request has ended
//   (lib/observability/lifecycle.ts drives it in each worker).
//
// This file imports nothing from lib/: module state (caches, the usage writer,
// LISTEN connections) lives in the modules Next loads, once per process. The
// only contract between the two is the handle on globalThis below.
import cluster from "node:cluster";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import next from "next";
import { fastDoor } from "./lib/fast-door.ts";

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

/** How many worker processes: WEB_CONCURRENCY, else one per core. */
function workerCount(): number {
  const n = Number(process.env.WEB_CONCURRENCY || availableParallelism());
  return Number.isInteger(n) && n >= 1 ? Math.min(n, 64) : 1;
}

/**
 * The primary of several workers: forks them, replaces one that dies, and on
 * SIGTERM/SIGINT lets each drain (they get the signal too; a repeat is the same
 * drain) and exits when the last has, with the first non-zero code.
 */
function supervise(workers: number): void {
  let stopping = false;
  let code = 0;
  const fork = () => cluster.fork();
  for (let i = 0; i < workers; i++) fork();
  cluster.on("exit", (worker, exitCode, signal) => {
    if (exitCode && !code) code = exitCode;
    if (!stopping) {
      process.stderr.write(`worker ${worker.process.pid} exited (${signal ?? exitCode}); starting another\n`);
      setTimeout(fork, 1000).unref();
      return;
    }
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(code);
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
  };
  process.on("SIGTERM", () => stop("SIGTERM")).on("SIGINT", () => stop("SIGINT"));
}

async function main(): Promise<void> {
  // Raw, as this file imports nothing from lib/: PORT, HOSTNAME, WEB_CONCURRENCY and MAX_BODY_BYTES are in
  // lib/config, which the launcher (npm start) and instrumentation.ts validate before anything listens.
  const port = Number(arg("port") ?? process.env.PORT ?? 3000);
  const hostname = arg("hostname") ?? process.env.HOSTNAME ?? "0.0.0.0";
  const dir = fileURLToPath(new URL("..", import.meta.url));
  (process.env as Record<string, string>).NODE_ENV = "production";
  // Promptgate owns SIGTERM (lifecycle.ts): Next must not install its own handlers.
  process.env.NEXT_MANUAL_SIG_HANDLE = "1";
  const workers = workerCount();
  if (workers > 1 && cluster.isPrimary) return supervise(workers);

  let handle: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | null = null;
  let fast: ((req: IncomingMessage, res: ServerResponse) => boolean) | null = null;
  const server = createServer((req, res) => {
    if (http.gate?.(req, res)) return;
    if (fast?.(req, res)) return;
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
  // PROMPTGATE_FAST_DOOR=0 sends everything through Next (the tests run the gateway suite through both doors).
  if (!["0", "false", "no"].includes(process.env.PROMPTGATE_FAST_DOOR ?? "")) {
    fast = fastDoor(join(dir, process.env.PROMPTGATE_DIST_DIR || ".next"), Number(process.env.MAX_BODY_BYTES || 1_048_576));
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => resolve());
  });
  if (cluster.isPrimary) process.stderr.write(`Promptgate listening on http://${hostname}:${port}\n`);
  else process.stderr.write(`worker ${process.pid} listening on http://${hostname}:${port}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
