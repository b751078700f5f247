// The processes under test: the fake upstream (its own process, core 1), the
// production build under the production server, scripts/server.ts (core 0) and a scratch database with one
// account and one API key. Everything started here is stopped by its handle.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { request } from "undici";
import type { FakeBehaviour } from "../../tests/support/fake-upstream.ts";
import { assertLocalDatabaseUrl, createScratchDatabase, dropDatabase, freePort, withClient } from "../../tests/support/postgres.ts";
import { EmbeddedPostgresError, startEmbeddedPostgres } from "@/lib/db/embedded";
import { applyMigrations } from "@/lib/db/migrate";
import { pinned, pinTree, unpinned } from "./machine.ts";
import { serverCommand } from "../../scripts/lib/server-flags.ts";
import type { UpstreamCommand, UpstreamReply, UpstreamRequest } from "./upstream-process.ts";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BENCH_DATA_DIR = join(ROOT, ".data/bench-postgres");
export const GATEWAY_CORE = 0;
export const LOAD_CORE = 1;

/** Children that must not outlive us even if we die without cleaning up. */
const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

export function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

// ---------------------------------------------------------------- one benchmark at a time

/**
 * Waits until no other benchmark is running, then holds the lock until this
 * process exits. Two benchmarks on one machine would measure each other, and
 * would rebuild the shared build folder (.next-bench) under each other's server.
 */
export async function benchLock(log: (line: string) => void, cancelled: () => boolean): Promise<void> {
  const lock = join(ROOT, ".data/bench.lock");
  mkdirSync(dirname(lock), { recursive: true });
  let told = false;
  for (;;) {
    let owner = 0;
    try {
      owner = Number.parseInt(readFileSync(lock, "utf8"), 10);
    } catch {}
    if (!(owner > 0 && owner !== process.pid && alive(owner))) break;
    if (cancelled()) return;
    if (!told) log(`another benchmark is running (pid ${owner}); waiting for it to finish`);
    told = true;
    await new Promise((r) => setTimeout(r, 2000));
  }
  writeFileSync(lock, String(process.pid));
  process.once("exit", () => {
    try {
      if (readFileSync(lock, "utf8") === String(process.pid)) rmSync(lock, { force: true });
    } catch {}
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

// ---------------------------------------------------------------- upstream

export type Upstream = {
  url: string;
  openaiBaseUrl: string;
  pid: number;
  /** Replaces the default behaviour (and forgets queued ones). */
  setBehaviour(b: FakeBehaviour): Promise<void>;
  /** Requests received so far, and responses still open. */
  stats(): Promise<{ requests: number; inFlight: number }>;
  stop(): Promise<void>;
};

export async function startUpstream(): Promise<Upstream> {
  const entry = join(ROOT, "bench/lib/upstream-process.ts");
  const [cmd, args] = pinned(LOAD_CORE, [process.execPath, "--import", "tsx", entry]);
  // Own process group: the parent stops it after the gateway, not on the terminal's Ctrl-C.
  const child = track(spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "inherit", "inherit", "ipc"], detached: true }));
  let nextId = 1;
  const waiting = new Map<number, (r: Extract<UpstreamReply, { type: "ack" }>) => void>();
  const ready = new Promise<Extract<UpstreamReply, { type: "ready" }>>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the fake upstream exited during start-up (code ${code})`)));
    child.on("message", (m: UpstreamReply) => {
      if (m.type === "ready") return resolve(m);
      waiting.get(m.id)?.(m);
      waiting.delete(m.id);
    });
  });
  const { url, openaiBaseUrl } = await ready;
  const ask = (cmd: UpstreamRequest) =>
    new Promise<Extract<UpstreamReply, { type: "ack" }>>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      child.send({ ...cmd, id } satisfies UpstreamCommand);
    });
  return {
    url,
    openaiBaseUrl,
    pid: child.pid!,
    async setBehaviour(behaviour) {
      await ask({ type: "behaviour", behaviour });
    },
    async stats() {
      const r = await ask({ type: "stats" });
      return { requests: r.requests, inFlight: r.inFlight };
    },
    stop: () => stopChild(child, 3000),
  };
}

// ---------------------------------------------------------------- database

export type BenchDatabase = { url: string; embeddedPid: number | null; stop(): Promise<void> };

/**
 * A fresh, migrated database: on DATABASE_URL's server (localhost only) or on
 * an embedded Postgres in .data/bench-postgres. Dropped again by stop().
 */
export async function startDatabase(log: (line: string) => void): Promise<BenchDatabase> {
  const given = process.env.DATABASE_URL;
  let adminUrl: string;
  let stopServer = async () => {};
  let embeddedPid: number | null = null;
  if (given) {
    assertLocalDatabaseUrl(given);
    adminUrl = given;
  } else {
    const { pg, dataDir } = await startEmbedded(log);
    adminUrl = pg.adminUrl;
    stopServer = pg.stop;
    embeddedPid = Number.parseInt(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0] ?? "", 10) || null;
    // This server is ours alone: databases on it were left by a run that was killed.
    await withClient(adminUrl, async (c) => {
      const { rows } = await c.query<{ datname: string }>(String.raw`SELECT datname FROM pg_database WHERE datname LIKE 'promptgate\_bench\_%'`);
      for (const { datname } of rows) await dropDatabase(adminUrl, datname);
    });
  }
  try {
    const db = await createScratchDatabase(adminUrl, "promptgate_bench");
    await applyMigrations({ connectionString: db.url, migrationsDir: join(ROOT, "prisma/migrations") });
    return {
      url: db.url,
      embeddedPid,
      async stop() {
        try {
          await db.drop();
        } finally {
          await stopServer();
        }
      },
    };
  } catch (err) {
    await stopServer();
    throw err;
  }
}

// Two benchmarks may run at once (one waiting for the other to finish): a busy
// data directory moves on to the next one (.data/bench-postgres-2, ...).
async function startEmbedded(log: (line: string) => void) {
  for (let slot = 1; ; slot++) {
    const dataDir = slot === 1 ? BENCH_DATA_DIR : `${BENCH_DATA_DIR}-${slot}`;
    try {
      const pg = await startEmbeddedPostgres({ dataDir, port: await freePort([54329]), log });
      return { pg, dataDir };
    } catch (err) {
      const reason = err instanceof EmbeddedPostgresError ? err.reason : undefined;
      if (slot >= 4 || (reason !== "data-dir-in-use" && reason !== "port-in-use")) throw err;
    }
  }
}

/** Keeps Postgres (the usage writer's batches) off the gateway's core. */
export function pinDatabase(db: BenchDatabase): number {
  return db.embeddedPid ? pinTree(db.embeddedPid, LOAD_CORE) : 0;
}

export type Secrets = { AUTH_SECRET: string; ENCRYPTION_KEY: string };

export function newSecrets(): Secrets {
  return { AUTH_SECRET: randomBytes(32).toString("base64url"), ENCRYPTION_KEY: randomBytes(32).toString("hex") };
}

/**
 * One OpenAI-type account on the fake upstream serving "bench-model", and a
 * completions key with a quota policy in force (limits it never reaches, so
 * every call pays for admission and settlement as a real one would). Goes
 * through the domains (lib/accounts, lib/auth, lib/quota), as an operator's
 * set-up would, with this process's env pointing at the bench database.
 */
export async function seedGateway(databaseUrl: string, secrets: Secrets, upstreamBaseUrl: string): Promise<{ apiKey: string }> {
  process.env.DATABASE_URL = databaseUrl;
  process.env.AUTH_SECRET = secrets.AUTH_SECRET;
  process.env.ENCRYPTION_KEY = secrets.ENCRYPTION_KEY;
  const system = { kind: "system", name: "bench" } as const;
  const { createAccount } = await import("@/lib/accounts");
  const { createApiKey } = await import("@/lib/auth/api-keys");
  const { createPolicy } = await import("@/lib/quota");
  const { closeDb, publishInvalidation } = await import("@/lib/db");
  try {
    await createAccount(system, { name: "bench-upstream", provider: "openai", baseUrl: upstreamBaseUrl, apiKey: "sk-bench-upstream-0000", models: ["bench-model"] });
    // Two equal accounts on the same upstream serve "bench-model-two": the routing phase compares
    // it with the one-account model, so any difference is the pool's own work.
    await createAccount(system, { name: "bench-upstream-a", provider: "openai", baseUrl: upstreamBaseUrl, apiKey: "sk-bench-upstream-000a", models: ["bench-model-two"] });
    await createAccount(system, { name: "bench-upstream-b", provider: "openai", baseUrl: upstreamBaseUrl, apiKey: "sk-bench-upstream-000b", models: ["bench-model-two"] });
    const { key, row } = await createApiKey(system, { name: "bench", scopes: ["completions"] });
    await createPolicy(system, {
      name: "bench-never-binding", scope: "key", apiKeyId: row.id,
      requestsPerMinute: 100_000_000, tokensPerMinute: 2_000_000_000, tokensPerDay: 2_000_000_000,
    });
    await publishInvalidation("accounts");
    return { apiKey: key };
  } finally {
    await closeDb();
  }
}

export async function countUsageEvents(databaseUrl: string): Promise<number> {
  return withClient(databaseUrl, async (c) => Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM "UsageEvent"`)).rows[0]?.n ?? 0));
}

// ---------------------------------------------------------------- gateway

export type Gateway = { url: string; pid: number; output(): string; stop(): Promise<void> };

/**
 * The production server (what `npm start` runs) with the bench-only routes
 * switched on: on core 0, or on every core with `pin: false` (the two-worker
 * comparison, where the server itself is meant to spread over the cores).
 */
export async function startGateway(env: Record<string, string>, nodeArgs: string[] = [], opts: { pin?: boolean } = {}): Promise<Gateway> {
  const port = await freePort();
  // The same node flags as `npm start`, then any the run adds.
  const argv: [string, ...string[]] = [process.execPath, ...serverCommand(port, "127.0.0.1", nodeArgs)];
  // Unpinned, it must not inherit this process's affinity (the load core) either.
  const [cmd, args] = opts.pin === false ? unpinned(argv) : pinned(GATEWAY_CORE, argv);
  let out = "";
  const child = track(
    spawn(cmd, args, {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: "production",
        NEXT_TELEMETRY_DISABLED: "1",
        PROMPTGATE_BENCH: "1",
        NEXT_MANUAL_SIG_HANDLE: "1",
        LOG_LEVEL: "warn",
        USAGE_FLUSH_MS: "500",
        SHUTDOWN_DEADLINE_MS: "5000",
        DRAIN_GRACE_MS: "0",
        WEB_CONCURRENCY: "1",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    }),
  );
  const keep = (d: Buffer) => {
    out += d.toString("utf8");
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}:\n${out}`);
    try {
      const r = await request(`${url}/api/health/ready`);
      await r.body.dump();
      if (r.statusCode === 200) break;
    } catch {}
    if (Date.now() > deadline) {
      await stopChild(child, 1000);
      throw new Error(`the server did not become ready within 60 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    pid: child.pid!,
    output: () => out,
    // The app drains streams, flushes usage and closes the database on SIGTERM.
    stop: () => stopChild(child, 15_000),
  };
}
