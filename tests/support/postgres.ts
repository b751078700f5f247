// Databases for integration tests. Tests never touch the app's own database:
// with DATABASE_URL unset they get an embedded server in .data/test-postgres;
// with DATABASE_URL set (localhost only) throwaway databases are created on
// that server and dropped afterwards.
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { EMBEDDED_DEFAULTS, EmbeddedPostgresError, startEmbeddedPostgres } from "../../lib/db/embedded.ts";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const MIGRATIONS_DIR = `${ROOT}prisma/migrations`;
const TEST_DATA_DIR = `${ROOT}.data/test-postgres`;
const MAX_SLOTS = 4;
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

export type ScratchDatabase = { name: string; url: string; drop(): Promise<void> };
export type TestServer = { adminUrl: string; embedded: boolean; stop(): Promise<void> };

/** Refuses anything but a TCP connection to this machine, so a test can never reach a shared database. */
export function assertLocalDatabaseUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error("DATABASE_URL is not a valid URL; tests refuse to guess where it points");
  }
  const host = parsed.hostname;
  if (!LOCAL_HOSTS.has(host) || parsed.searchParams.has("host")) {
    throw new Error(
      `tests refuse DATABASE_URL on host "${host || parsed.searchParams.get("host") || "(socket)"}": only localhost, 127.0.0.1 or ::1 are allowed. ` +
        `Unset DATABASE_URL to use an embedded test server instead.`,
    );
  }
}

/** The same server and credentials as `baseUrl`, another database. */
export function withDatabase(baseUrl: string, database: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/**
 * A new, empty database beside `adminUrl`'s. For tests that need a database of
 * their own (migration runner, drift); drop() also ends leftover connections.
 */
export async function createScratchDatabase(adminUrl: string, prefix = "promptgate_scratch"): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`));
  let dropped: Promise<void> | undefined;
  const drop = () => (dropped ??= dropDatabase(adminUrl, name));
  return { name, url: withDatabase(adminUrl, name), drop };
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withClient(adminUrl, async (c) => {
    // Works on every Postgres version, unlike DROP DATABASE ... WITH (FORCE).
    await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [name]);
    await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)}`);
  });
}

/** The server the test databases live on: DATABASE_URL's (localhost only) or an embedded one. */
export async function startTestServer(log: (line: string) => void): Promise<TestServer> {
  const external = process.env.DATABASE_URL;
  if (external) {
    assertLocalDatabaseUrl(external);
    await withClient(external, (c) => c.query("SELECT 1")).catch((err: unknown) => {
      throw new Error(`cannot connect to DATABASE_URL for tests: ${err instanceof Error ? err.message : String(err)}`);
    });
    return { adminUrl: external, embedded: false, stop: async () => {} };
  }
  const server = await startEmbeddedTestServer(log);
  try {
    await dropLeftovers(server.adminUrl, log);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return { adminUrl: server.adminUrl, embedded: true, stop: server.stop };
}

// Several people (or agents) may run the suite in one checkout at once: a
// busy data directory moves on to the next one (.data/test-postgres-2, ...).
async function startEmbeddedTestServer(log: (line: string) => void) {
  for (let slot = 1; ; slot++) {
    const dataDir = slot === 1 ? TEST_DATA_DIR : `${TEST_DATA_DIR}-${slot}`;
    try {
      return await startOnFreePort(dataDir, log);
    } catch (err) {
      if (slot >= MAX_SLOTS || !isEmbeddedError(err, "data-dir-in-use")) throw err;
    }
  }
}

// A free port can be taken by someone else between choosing and binding it.
async function startOnFreePort(dataDir: string, log: (line: string) => void) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort([EMBEDDED_DEFAULTS.port]);
    try {
      return await startEmbeddedPostgres({ dataDir, port, log });
    } catch (err) {
      if (attempt >= 3 || !isEmbeddedError(err, "port-in-use")) throw err;
    }
  }
}

function isEmbeddedError(err: unknown, reason: EmbeddedPostgresError["reason"]): boolean {
  return err instanceof EmbeddedPostgresError && err.reason === reason;
}

// The embedded test server belongs to this run alone (postmaster.pid makes
// sure), so databases still on it were left by a run that crashed.
async function dropLeftovers(adminUrl: string, log: (line: string) => void): Promise<void> {
  const res = await withClient(adminUrl, (c) =>
    c.query<{ datname: string }>(
      String.raw`SELECT datname FROM pg_database WHERE datname LIKE 'promptgate\_test\_%' OR datname LIKE 'promptgate\_scratch\_%'`,
    ),
  );
  for (const { datname } of res.rows) await dropDatabase(adminUrl, datname);
  if (res.rows.length) log(`dropped ${res.rows.length} test database(s) left by an earlier run`);
}

export async function freePort(exclude: number[] = []): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const probe = createServer();
      probe.once("error", reject);
      probe.listen(0, "127.0.0.1", () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
      });
    });
    if (port && !exclude.includes(port)) return port;
  }
}

export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
