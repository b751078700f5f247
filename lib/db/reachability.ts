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

// What counts as "unreachable" is part of the error model (lib/core/db-errors.ts).
export { DatabaseUnavailableError, isDatabaseUnreachable } from "@/lib/core";
import { DatabaseUnavailableError, isDatabaseUnreachable } from "@/lib/core";

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
