import "server-only";
import type pg from "pg";

// What this process knows about reaching the database, and bounded waits on it.
//
// Every answer the pool gets (a query done, a connection made) is noted, so
// "the database said nothing for N ms" is cheap to ask. That is the signal the
// hot path's bounded waits use: a call whose admission needs the database gives
// up when the database has been silent for the bound, not when its own query is
// merely slow. Under a burst a reservation can queue behind many others on one
// counter's row lock for longer than the bound while the database answers
// every few milliseconds; refusing it then would be a false outage. Frozen or
// gone, the database answers nothing, and the wait ends after the bound.

/** The database cannot be reached now (refused, dropped, or silent for longer than a bound). */
export class DatabaseUnavailableError extends Error {
  constructor(message = "The database is unreachable", options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DatabaseUnavailableError";
  }
}

const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
// Prisma: can't reach server, timed out, operations timed out, server closed the connection, pool timeout.
const PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
const ADAPTER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
// SQLSTATE: class 08 (connection exception), admin/crash shutdown, cannot connect now, too many connections.
const isUnreachableState = (s: string) => s.startsWith("08") || s === "57P01" || s === "57P02" || s === "57P03" || s === "53300";
const MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|not queryable|Connection ended|database system is (shutting down|starting up|in recovery)|terminating connection/i;

type ErrorLike = {
  code?: unknown; message?: unknown; cause?: unknown;
  meta?: { driverAdapterError?: { cause?: { kind?: unknown; originalCode?: unknown } } };
};

/** Whether an error (from pg, Prisma or our own bounded waits) means the database could not be reached. */
export function isDatabaseUnreachable(err: unknown): boolean {
  let e = err as ErrorLike | undefined;
  for (let depth = 0; e && typeof e === "object" && depth < 5; depth++, e = e.cause as ErrorLike | undefined) {
    if (e instanceof DatabaseUnavailableError) return true;
    const code = typeof e.code === "string" ? e.code : "";
    if (SOCKET_CODES.has(code) || PRISMA_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && isUnreachableState(code))) return true;
    const adapter = e.meta?.driverAdapterError?.cause;
    if (typeof adapter?.kind === "string" && ADAPTER_KINDS.has(adapter.kind)) return true;
    if (typeof adapter?.originalCode === "string" && isUnreachableState(adapter.originalCode)) return true;
    if (typeof e.message === "string" && MESSAGES.test(e.message)) return true;
  }
  return false;
}

type State = { lastAnswerAt: number; down: boolean; back: Set<() => void> };
const g = globalThis as typeof globalThis & { __pgReachability?: State };
const state: State = (g.__pgReachability ??= { lastAnswerAt: performance.now(), down: false, back: new Set() });

/** The database answered (a query completed, with or without an SQL error, or a connection was made). */
export function noteAnswer(): void {
  state.lastAnswerAt = performance.now();
  if (!state.down) return;
  state.down = false;
  for (const fn of state.back) {
    try {
      fn();
    } catch {}
  }
}

/** The database could not be reached. Cleared by the next answer. */
export function noteUnreachable(): void {
  state.down = true;
}

/** True after a failure to reach the database that no answer has followed yet. */
export function databaseDown(): boolean {
  return state.down;
}

/** Runs `fn` on the first answer after the database was noted unreachable (the usage writer flushes then). */
export function onDatabaseBack(fn: () => void): () => void {
  state.back.add(fn);
  return () => state.back.delete(fn);
}

/** Notes every answer and every unreachable error of a pool's clients. */
export function watchPool(pool: pg.Pool): void {
  pool.on("connect", noteAnswer);
  pool.on("release", (err: Error | undefined) => {
    if (err && isDatabaseUnreachable(err)) noteUnreachable();
    else noteAnswer();
  });
}

export type Bound = {
  /** How long to wait. */
  ms: number;
  /**
   * "silence" (default): give up only once the database has answered nothing (to anyone in this
   * process) for `ms`, so a slow but answering database is waited for. "elapsed": give up after `ms`.
   */
  until?: "silence" | "elapsed";
};

/**
 * Waits for `work` within a bound; rejects with DatabaseUnavailableError when the bound passes first
 * (`work` itself is not cancelled: its owner cleans up once it settles). Errors that mean the database
 * is unreachable become DatabaseUnavailableError too; any other error passes through.
 */
export function withinReach<T>(work: Promise<T>, bound: Bound, what = "the database"): Promise<T> {
  const started = performance.now();
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      fn();
    };
    const check = () => {
      const from = bound.until === "elapsed" ? started : Math.max(started, state.lastAnswerAt);
      const left = from + bound.ms - performance.now();
      if (left <= 0) {
        // An elapsed bound can pass while the database answers others (busy, not gone): only silence marks it down.
        if (performance.now() - state.lastAnswerAt >= bound.ms) noteUnreachable();
        finish(() => reject(new DatabaseUnavailableError(`No answer from ${what} within ${bound.ms} ms`)));
      } else timer = setTimeout(check, Math.max(5, left));
    };
    work.then(
      (v) => finish(() => resolve(v)),
      (err: unknown) =>
        finish(() => {
          if (!isDatabaseUnreachable(err)) return reject(err);
          noteUnreachable();
          reject(err instanceof DatabaseUnavailableError ? err : new DatabaseUnavailableError(`Cannot reach ${what}`, { cause: err }));
        }),
    );
    if (!done) check();
  });
}

/**
 * One query on its own pool client, within a bound covering both the wait for a client and the
 * answer. Past the bound the caller gets DatabaseUnavailableError at once; a client that arrives
 * later is handed back unused, and a query already sent is left to finish: `onLate` then sees its
 * result (to undo what it did), and its client goes back to the pool.
 */
export async function queryWithin<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  text: string,
  values: unknown[],
  bound: Bound,
  onLate?: (result: pg.QueryResult<R>) => void,
): Promise<pg.QueryResult<R>> {
  const started = performance.now();
  const acquiring = pool.connect();
  let client: pg.PoolClient;
  try {
    client = await withinReach(acquiring, bound);
  } catch (err) {
    acquiring.then((c) => c.release(), () => {});
    throw err;
  }
  // The bound covers the whole wait: with "elapsed" the query gets what the wait for a client left
  // of it; with "silence" the same rule simply goes on (a client handed over was itself an answer).
  const rest: Bound = bound.until === "elapsed" ? { ms: Math.max(1, bound.ms - (performance.now() - started)), until: "elapsed" } : bound;
  const query = client.query<R>(text, values);
  let late = false;
  query.then(
    (r) => {
      client.release();
      if (late) onLate?.(r);
    },
    (err: Error) => client.release(err),
  );
  try {
    return await withinReach(query, rest);
  } catch (err) {
    late = true;
    throw err;
  }
}
