// `npm start` / `npm run dev`: everything a fresh checkout needs, in order.
//   1. instance secrets (generated once into .data/secrets.json when not in the env)
//   2. the embedded Postgres in .data/postgres, only when DATABASE_URL is unset
//   3. migrations, 4. the first-start seed, 5. `next build` when there is no build yet
//   6. the production server (scripts/server.ts; `next dev` with --dev), until it exits
// Shutdown runs the other way: the signal goes to Next, Next drains (and flushes
// usage to the database), and only then does the embedded Postgres stop.
import { spawn, type ChildProcess } from "node:child_process";
import { constants } from "node:os";
import { ConfigError, parseConfig, type Config } from "../lib/config.ts";
import { EMBEDDED_DEFAULTS, EmbeddedPostgresError, embeddedPort, startEmbeddedPostgres } from "../lib/db/embedded.ts";
import { applyMigrations, MigrationError } from "../lib/db/migrate.ts";
import { ensureInstanceSecrets } from "../lib/instance-secrets.ts";
import { buildIfStale } from "./lib/build.ts";
import { SERVER_NODE_FLAGS, serverCommand } from "./lib/server-flags.ts";

const NEXT_BIN = "node_modules/next/dist/bin/next";
// A signal sent to the process group reaches us directly and again through the
// launcher chain (npm, tsx): repeats within this window are the same signal.
const REPEAT_WINDOW_MS = 2_000;
const dev = process.argv.includes("--dev");
const log = (line: string) => process.stderr.write(`${line}\n`);

let server: ChildProcess | undefined;
let stopDatabase = async () => {};
let stopping = false;
let firstSignalAt = 0;

async function main(): Promise<void> {
  loadSecrets();
  const { PORT: port } = checkConfig();
  process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
  await startDatabase();
  await migrate();
  await seed();
  if (!dev) await buildIfNeeded();
  server = dev ? spawnNext(["dev", "-p", String(port)]) : spawnServer(port);
  void announceWhenReady(server, port);
  const code = await exitCode(server);
  await stopDatabase();
  process.exit(code);
}

function loadSecrets(): void {
  const secrets = ensureInstanceSecrets();
  process.env.AUTH_SECRET ??= secrets.AUTH_SECRET;
  process.env.ENCRYPTION_KEY ??= secrets.ENCRYPTION_KEY;
  process.env.AUTH_TRUST_HOST ??= "true";
}

// Every variable (lib/config), before spending seconds on Postgres and a build:
// SHUTDOWN_DEADLINE_MS=30s stops here with its name, not at the first SIGTERM.
// DATABASE_URL may still be unset because the embedded server fills it in.
function checkConfig(): Config {
  return parseConfig({ ...process.env, DATABASE_URL: process.env.DATABASE_URL || "postgresql://embedded/promptgate" });
}

async function startDatabase(): Promise<void> {
  if (process.env.DATABASE_URL) return; // never start our own server beside the operator's
  const { dataDir, database } = EMBEDDED_DEFAULTS;
  const port = embeddedPort();
  log(`DATABASE_URL is not set: starting the embedded Postgres in ${dataDir} on port ${port}`);
  const pg = await startEmbeddedPostgres({ dataDir, port, database, log });
  stopDatabase = pg.stop;
  process.env.DATABASE_URL = pg.url;
}

async function migrate(): Promise<void> {
  const { applied } = await applyMigrations({ connectionString: process.env.DATABASE_URL!, log });
  if (applied.length) log(`applied migrations: ${applied.join(", ")}`);
}

async function seed(): Promise<void> {
  const { seedOnFirstStart } = await import("../prisma/seed.ts");
  await seedOnFirstStart();
  // The seed used the app's pool in this process; Next opens its own.
  const { closeDb } = await import("../lib/db/index.ts");
  await closeDb();
}

async function buildIfNeeded(): Promise<void> {
  try {
    buildIfStale(log);
  } catch (e) {
    throw new StartError((e as Error).message);
  }
}

function spawnNext(args: string[]): ChildProcess {
  return spawn(process.execPath, [...SERVER_NODE_FLAGS, NEXT_BIN, ...args], { stdio: "inherit", env: process.env });
}

// In production our own HTTP server (scripts/server.ts) runs the build: it owns
// SIGTERM and the socket, so a drain refuses new calls with 503 after the grace
// period and exits only after the last accepted one has settled.
function spawnServer(port: number): ChildProcess {
  return spawn(process.execPath, serverCommand(port), { stdio: "inherit", env: process.env });
}

function exitCode(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    child.once("error", (err) => {
      log(`could not run next: ${err.message}`);
      resolve(1);
    });
  });
}

async function announceWhenReady(child: ChildProcess, port: number): Promise<void> {
  const url = `http://127.0.0.1:${port}/api/health/live`;
  while (child.exitCode === null && child.signalCode === null) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
    if (ok) {
      log(`\nPromptgate is ready at http://localhost:${port}\n`);
      return;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

// A terminal Ctrl-C already reaches the server (same process group); forwarding
// covers `kill` and process managers. A second signal, later than the repeats
// of the first one, means "now".
function onSignal(signal: NodeJS.Signals): void {
  const now = Date.now();
  const repeat = stopping && now - firstSignalAt < REPEAT_WINDOW_MS;
  if (repeat) return;
  const running = server && server.exitCode === null && server.signalCode === null;
  if (running) {
    server!.kill(stopping ? "SIGKILL" : signal);
    if (!stopping) firstSignalAt = now;
    stopping = true;
    return;
  }
  if (stopping) return;
  stopping = true;
  // Still preparing (migrations, seed, build): nothing to drain.
  void stopDatabase().finally(() => process.exit(128 + constants.signals[signal]));
}

class StartError extends Error {}

main().catch(async (err: unknown) => {
  // These are written for the operator; a stack trace would only bury them.
  const known = err instanceof ConfigError || err instanceof MigrationError || err instanceof EmbeddedPostgresError || err instanceof StartError;
  log(known ? `\n${(err as Error).message}\n` : String(err instanceof Error ? err.stack : err));
  await stopDatabase();
  process.exit(1);
});
