import "server-only";
import { logger } from "./logger";

// Process lifecycle: readiness, in-flight work and the shutdown sequence.
// With NEXT_MANUAL_SIG_HANDLE=1 (set by `npm start`) we own SIGTERM:
//   1. readiness turns 503 at once (load balancers stop sending traffic);
//   2. in-flight gateway calls and streams get up to SHUTDOWN_DEADLINE_MS to finish;
//   3. streams still open are then ended with an explicit SSE error event, and
//      calls still waiting on an upstream are settled as errors, so every call
//      has its usage event queued before
//   4. the hooks run in order: usage flush (which also settles the quota
//      reservations carried on the events), upstream pools, traces, database;
//   5. the process exits, and only then does the launcher (scripts/start.ts)
//      stop the embedded Postgres.
// Without NEXT_MANUAL_SIG_HANDLE, Next's own handler closes the server, and we
// make its final exit wait for the hooks.

type Hook = { name: string; order: number; run: () => Promise<void> };
type Tracked = { count: number; aborts: Set<() => void> };
type State = {
  draining: boolean; streams: number; hooks: Hook[]; installed: boolean; streamWaiters: (() => void)[];
  /** Abort callbacks of the streams in flight. */
  aborts: Set<() => void>;
  /** Gateway calls in flight (streams included), from admission to settlement. */
  calls: Tracked;
};
const g = globalThis as typeof globalThis & { __pgLifecycle?: State };
const state: State = (g.__pgLifecycle ??= { draining: false, streams: 0, hooks: [], installed: false, streamWaiters: [], aborts: new Set(), calls: { count: 0, aborts: new Set() } });
// A state object created by an older copy of this module (dev reloads).
state.aborts ??= new Set();
state.calls ??= { count: 0, aborts: new Set() };

export const isDraining = () => state.draining;
export const activeStreams = () => state.streams;
export const activeCalls = () => state.calls.count;

const idle = () => state.streams === 0 && state.calls.count === 0;
function wake() {
  if (idle()) state.streamWaiters.splice(0).forEach((w) => w());
}

/**
 * Counts a stream as in flight until the returned function is called
 * (idempotent). `abort`, when given, is called if the stream is still open at
 * the shutdown deadline: it must end the stream with an explicit error event,
 * settle its usage and call the returned function.
 */
export function trackStream(abort?: () => void): () => void {
  state.streams++;
  if (abort) state.aborts.add(abort);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    state.streams--;
    if (abort) state.aborts.delete(abort);
    wake();
  };
}

/**
 * Counts a gateway call as in flight until the returned function is called
 * (idempotent). `abort` is called at the shutdown deadline if the call is still
 * unsettled (after the streams were ended): it must settle the call's usage.
 */
export function trackCall(abort: () => void): () => void {
  state.calls.count++;
  state.calls.aborts.add(abort);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    state.calls.count--;
    state.calls.aborts.delete(abort);
    wake();
  };
}

/** Runs at shutdown in ascending `order` (lower first). */
export function onShutdown(name: string, run: () => Promise<void>, order = 50): void {
  if (state.hooks.some((h) => h.name === name)) return;
  state.hooks.push({ name, order, run });
}

async function runHooks(): Promise<void> {
  for (const h of [...state.hooks].sort((a, b) => a.order - b.order)) {
    try {
      await Promise.race([h.run(), new Promise((_, rej) => setTimeout(() => rej(new Error("timed out")), 10_000).unref())]);
    } catch (err) {
      logger.error({ err: String(err), hook: h.name }, "shutdown hook failed");
    }
  }
}

function waitForIdle(deadlineMs: number): Promise<void> {
  if (idle()) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, deadlineMs);
    state.streamWaiters.push(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

function runAll(aborts: Set<() => void>): number {
  const pending = [...aborts];
  for (const abort of pending) {
    try {
      abort();
    } catch (err) {
      logger.error({ err: String(err) }, "aborting in-flight work at shutdown failed");
    }
  }
  return pending.length;
}

/**
 * Ends every stream still in flight (a final error event, usage settled), then
 * settles every call still waiting on its upstream, and waits up to `graceMs`
 * for all of them to report done. Returns how many streams and calls were ended.
 */
export async function abortInFlight(graceMs = 2000): Promise<{ streams: number; calls: number }> {
  const streams = runAll(state.aborts);
  const calls = runAll(state.calls.aborts);
  await waitForIdle(graceMs);
  return { streams, calls };
}

/** Steps 2 to 4 of the shutdown sequence (readiness is already 503); exported for tests. */
export async function drainAndRunHooks(deadlineMs: number): Promise<void> {
  state.draining = true;
  await waitForIdle(deadlineMs);
  if (!idle()) {
    const open = { streams: state.streams, calls: state.calls.count };
    const ended = await abortInFlight();
    logger.warn({ open, ended, deadlineMs }, "shutdown deadline reached: ended the remaining streams with an error event");
  }
  await runHooks();
}

export function installShutdown(): void {
  if (state.installed) return;
  state.installed = true;
  const deadline = Number(process.env.SHUTDOWN_DEADLINE_MS ?? 30_000);
  if (process.env.NEXT_MANUAL_SIG_HANDLE) {
    let started = false;
    const shutdown = async (signal: string) => {
      if (started) return;
      started = true;
      state.draining = true;
      logger.info({ signal, streams: state.streams, calls: state.calls.count }, "shutting down: draining");
      await drainAndRunHooks(deadline);
      process.exit(0);
    };
    process.on("SIGTERM", () => void shutdown("SIGTERM"));
    process.on("SIGINT", () => void shutdown("SIGINT"));
    return;
  }
  // Next owns the signals: it closes the server (waiting for requests) and then
  // calls process.exit. Make that exit wait for our hooks.
  const realExit = process.exit.bind(process);
  let exiting = false;
  process.exit = ((code?: number) => {
    if (exiting) return realExit(code);
    exiting = true;
    state.draining = true;
    void runHooks().finally(() => realExit(code));
  }) as typeof process.exit;
  const markDraining = () => {
    state.draining = true;
  };
  process.once("SIGTERM", markDraining);
  process.once("SIGINT", markDraining);
}
