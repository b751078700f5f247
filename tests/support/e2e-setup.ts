// Vitest globalSetup for the e2e project: a fresh database, a production build,
// the seed, and the production server (scripts/server.ts) on a free port. Tests read the results through
// inject(); teardown stops the server and drops the database whatever happened.
//
// The database is never the app's own: with DATABASE_URL unset it lives in an
// embedded Postgres under .data/e2e-postgres; with DATABASE_URL set (localhost
// only) a throwaway promptgate_e2e_<random> database is created beside it.
import { buildIfStale } from "../../scripts/lib/build";
import { spawn, type ChildProcess } from "node:child_process";
import { serverCommand } from "../../scripts/lib/server-flags.ts";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, readFileSync, type WriteStream } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "@/lib/db/embedded";
import { applyMigrations } from "@/lib/db/migrate";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    adminEmail: string;
    adminPassword: string;
    databaseUrl: string;
  }
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const EMBEDDED_DATA_DIR = join(ROOT, ".data/e2e-postgres");
const SERVER_LOG = join(ROOT, ".data/test-results/e2e-server.log");
const READY_TIMEOUT_MS = 60_000;
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

const log = (line: string) => process.stderr.write(`[e2e] ${line}\n`);

type Database = { url: string; drop(): Promise<void> };
type Cleanup = () => Promise<void>;

export default async function setup(project: TestProject): Promise<Cleanup> {
  const cleanups: Cleanup[] = [];
  const teardown = async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        log(`teardown step failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    cleanups.length = 0;
  };

  try {
    const started = Date.now();
    const database = await provisionDatabase();
    cleanups.push(database.drop);

    await buildApp();
    // After the build, so that the migrations match the code being served.
    const { applied } = await applyMigrations({ connectionString: database.url, migrationsDir: join(ROOT, "prisma/migrations") });
    log(`database ready with ${applied.length} migrations (${applied.join(", ")})`);

    const secrets = {
      AUTH_SECRET: randomBytes(32).toString("base64url"),
      ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    };
    const adminEmail = "admin@e2e.test";
    const adminPassword = `e2e-${randomBytes(12).toString("base64url")}`;
    await seedDatabase({ DATABASE_URL: database.url, ...secrets, ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: adminPassword });

    const server = await startServer({ DATABASE_URL: database.url, ...secrets });
    cleanups.push(server.stop);

    project.provide("baseUrl", server.baseUrl);
    project.provide("adminEmail", adminEmail);
    project.provide("adminPassword", adminPassword);
    project.provide("databaseUrl", database.url);
    log(`app ready at ${server.baseUrl} (setup took ${seconds(started)}; server log: ${SERVER_LOG})`);
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}

// ---------------------------------------------------------------- database

async function provisionDatabase(): Promise<Database> {
  const name = `promptgate_e2e_${randomBytes(6).toString("hex")}`;
  const given = process.env.DATABASE_URL;
  if (given) return createDatabaseBeside(given, name);

  const port = await freePort();
  const embedded = await startEmbeddedPostgres({ dataDir: EMBEDDED_DATA_DIR, port, database: name, log });
  // Postgres runs in its own process group, so a vitest that dies without its
  // teardown would leave it running and block the next start on this data dir.
  const stopOnExit = () => stopPostmasterSync(EMBEDDED_DATA_DIR);
  process.once("exit", stopOnExit);
  return {
    url: embedded.url,
    async drop() {
      try {
        await dropDatabase(embedded.adminUrl, name);
      } finally {
        process.removeListener("exit", stopOnExit);
        await embedded.stop();
      }
    },
  };
}

function stopPostmasterSync(dataDir: string): void {
  try {
    const pid = Number.parseInt(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0] ?? "", 10);
    if (pid > 0) process.kill(pid, "SIGINT"); // Postgres' fast shutdown
  } catch {}
}

async function createDatabaseBeside(givenUrl: string, name: string): Promise<Database> {
  const parsed = new URL(givenUrl);
  if (!LOCAL_HOSTS.has(parsed.hostname)) {
    throw new Error(
      `e2e tests create and drop databases, so DATABASE_URL must point at localhost (got host ${parsed.hostname}). ` +
        `Unset DATABASE_URL to use an embedded Postgres instead.`,
    );
  }
  // The maintenance connection uses the given URL's database (it must exist);
  // the app's database itself is never written to.
  const adminUrl = givenUrl;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(givenUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => dropDatabase(adminUrl, name) };
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  if (!/^promptgate_e2e_[0-9a-f]+$/.test(name)) throw new Error(`refusing to drop ${name}: not an e2e database`);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    // FORCE ends the connections a killed server may have left open.
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

// ------------------------------------------------------------------- build

async function buildApp(): Promise<void> {
  // Rebuilds only when the sources changed since the last build (scripts/lib/build.ts).
  const secs = buildIfStale(log);
  log(secs ? `next build took ${secs.toFixed(1)} s` : "the existing .next build matches the sources");
}

// -------------------------------------------------------------------- seed

// lib/db and lib/config read process.env on first use, so the environment is
// set before the seed module is imported, and put back afterwards so that
// other projects' setups in the same run never see the e2e database.
async function seedDatabase(env: Record<string, string>): Promise<void> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const { seed } = await import("@/prisma/seed");
    const result = await seed();
    if (!result.seeded) throw new Error("the fresh e2e database reports it was already seeded");
  } finally {
    const { closeDb } = await import("@/lib/db");
    await closeDb();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

// ------------------------------------------------------------------ server

type Server = { baseUrl: string; stop(): Promise<void> };

async function startServer(env: { DATABASE_URL: string; AUTH_SECRET: string; ENCRYPTION_KEY: string }): Promise<Server> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  mkdirSync(join(ROOT, ".data/test-results"), { recursive: true });
  const file = createWriteStream(SERVER_LOG);
  const recent: string[] = [];
  // The production server `npm start` runs (scripts/server.ts).
  const child = spawn(process.execPath, serverCommand(port, "127.0.0.1"), {
    cwd: ROOT,
    // Own process group, so teardown can stop anything the server spawns.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      ...env,
      AUTH_TRUST_HOST: "true",
      NODE_ENV: "production",
      LOG_LEVEL: "warn",
      NEXT_TELEMETRY_DISABLED: "1",
      DRAIN_GRACE_MS: "0",
      WEB_CONCURRENCY: "1",
      PORT: String(port),
    },
  });
  const capture = (chunk: Buffer) => {
    file.write(chunk);
    recent.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    if (recent.length > 200) recent.splice(0, recent.length - 200);
  };
  child.stdout?.on("data", capture);
  child.stderr?.on("data", capture);
  const exited = new Promise<string>((resolve) =>
    child.once("exit", (code, signal) => resolve(signal ? `signal ${signal}` : `exit code ${code}`)),
  );
  // A crashed or interrupted vitest must not leave the server behind.
  const killOnExit = () => killGroup(child, "SIGKILL");
  process.once("exit", killOnExit);

  const stop = async () => {
    process.removeListener("exit", killOnExit);
    await stopChild(child, exited);
    await closeStream(file);
  };

  try {
    await waitUntilReady(`${baseUrl}/api/health/ready`, exited);
  } catch (err) {
    process.stderr.write(`[e2e] server output (last ${recent.length} lines):\n${recent.map((l) => `  ${l}`).join("\n")}\n`);
    await stop();
    throw err;
  }
  return { baseUrl, stop };
}

async function waitUntilReady(url: string, exited: Promise<string>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let early: string | undefined;
  void exited.then((reason) => (early = reason));
  let last = "no response";
  while (Date.now() < deadline) {
    if (early) throw new Error(`the server exited before it was ready (${early})`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      if (res.status === 200) return;
      last = `${res.status} ${await res.text()}`;
      // Waiting cannot fix this: a migration folder appeared after setup applied them.
      if (last.includes('"migrations":"pending"')) throw new Error(`the server reports pending migrations: ${last}`);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith("the server reports")) throw err;
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer 200 within ${READY_TIMEOUT_MS / 1000}s (last: ${last})`);
}

async function stopChild(child: ChildProcess, exited: Promise<string>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  killGroup(child, "SIGTERM");
  const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 10_000).unref());
  if ((await Promise.race([exited, timeout])) === "timeout") {
    log("the server ignored SIGTERM for 10 s; killing it");
    killGroup(child, "SIGKILL");
    await exited;
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {}
  }
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => stream.end(() => resolve()));
}

// ----------------------------------------------------------------- helpers

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
