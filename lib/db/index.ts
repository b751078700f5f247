import "server-only";
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/client.ts";
import { config } from "@/lib/config";
import { storableDeep } from "./storable";
import { queryWithin, watchPool, type Bound } from "./reachability";

export { Prisma } from "./generated/client.ts";
export type * from "./generated/client.ts";

// One pool per process, shared by Prisma and the few hot-path queries that
// must be a single hand-written round trip (quota reservation, usage batches).
// Kept on globalThis so Next's dev reloads do not leak pools.
type Handles = { pool: pg.Pool; prisma: PrismaClient };
const g = globalThis as typeof globalThis & { __promptgateDb?: Handles };

function create(): Handles {
  const cfg = config();
  const pool = new pg.Pool({
    connectionString: cfg.DATABASE_URL,
    max: cfg.DATABASE_POOL_SIZE,
    idleTimeoutMillis: 30_000,
  });
  // An idle client erroring (e.g. database restart) must not crash the process.
  pool.on("error", () => {});
  // Every answer is noted: bounded waits on the hot path ask how long the database has been silent.
  watchPool(pool);
  // Every model query's arguments pass storableDeep, so a NUL or a lone
  // surrogate in client text is stored (or looked up) as U+FFFD, never a 500.
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) }).$extends({
    query: { $allModels: { $allOperations: ({ args, query }) => query(storableDeep(args)) } },
  }) as unknown as PrismaClient;
  return { pool, prisma };
}

function handles(): Handles {
  g.__promptgateDb ??= create();
  return g.__promptgateDb;
}

/** The Prisma client. Lazily connected so importing this module is free. */
export const db: PrismaClient = new Proxy({} as PrismaClient, {
  get: (_t, prop) => Reflect.get(handles().prisma, prop),
});

/** The raw pg pool, for the hot path's single-statement queries. */
export function pool(): pg.Pool {
  return handles().pool;
}

/**
 * One hand-written query within a bound (lib/db/reachability.ts): DatabaseUnavailableError when the
 * database does not answer in time; `onLate` sees the result of a query that finished after that.
 */
export function boundedQuery<R extends pg.QueryResultRow>(text: string, values: unknown[], bound: Bound, onLate?: (r: pg.QueryResult<R>) => void) {
  return queryWithin<R>(pool(), text, values, bound, onLate);
}

export type Tx = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];
export type DbClient = PrismaClient | Tx;

export { onInvalidate, publishInvalidation, ensureListening, isListening, willHearInvalidations } from "./notify";
export {
  DatabaseUnavailableError, isDatabaseUnreachable, databaseDown, noteAnswer, noteUnreachable, onDatabaseBack, withinReach, type Bound,
} from "./reachability";

export async function closeDb(): Promise<void> {
  const { closeListener } = await import("./notify");
  await closeListener();
  const h = g.__promptgateDb;
  if (!h) return;
  g.__promptgateDb = undefined;
  await h.prisma.$disconnect();
  await h.pool.end();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Whether an id from a URL can be a uuid column's value: Postgres rejects anything else with an error, not "no row". */
export const isUuid = (id: string): boolean => UUID.test(id);
export { storableText, storableDeep } from "./storable";
