import "server-only";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { config } from "@/lib/config";
import { AppError, errorBody } from "@/lib/core";
import { logger } from "./logger";

// Process lifecycle: readiness, in-flight work and the shutdown sequence.
// Under our own HTTP server (scripts/server.ts: `npm start`, the container, the
// tests) we own SIGTERM and the listening socket:
//   1. readiness turns 503 at once (load balancers stop sending traffic), but
//      new calls are still served for DRAIN_GRACE_MS, because a balancer only
//      notices at its next probe;
//   2. after the grace period a new request is answered 503 with Retry-After and
//      `Connection: close` (never reset), while requests already accepted may
//      run until SHUTDOWN_DEADLINE_MS after the signal;
//   3. at the deadline, streams still open are ended with an explicit SSE error
//      event and calls still waiting on an upstream are settled as errors;
//   4. the listening socket closes, and once the last accepted request has ended
//      (so every call that answered has queued its usage event) the hooks run in
//      order: usage flush (which also settles the quota reservations carried on
//      the events), upstream pools, traces, database;
//   5. the process exits, and only then does the launcher (scripts/start.ts)
//      stop the embedded Postgres.
// Under `next start` with NEXT_MANUAL_SIG_HANDLE the same sequence runs without
// steps 2 and 4's socket handling (Next keeps its socket open until exit).
// Without NEXT_MANUAL_SIG_HANDLE, Next's own handler closes the server, and we
// make its final exit wait for the hooks.

type Hook = { name: string; order: number; run: () => Promise<void> };
/** Someone waiting for in-flight work to end (kept in the shared state: the bundler may load this module more than once). */
type Waiter = { until: () => boolean; resolve: () => void };
type Tracked = { count: number; aborts: Set<() => void> };
type State = {
  draining: boolean; streams: number; hooks: Hook[]; installed: boolean; waiters: Waiter[];
  /** When SIGTERM arrived (performance.now()), or null. */
  drainStartedAt: number | null;
  /** How long after drainStartedAt new requests are still served. */
  graceMs: number;
  /** HTTP requests accepted by our server and not yet answered to the end (streams included). */
  requests: number;
  /** When the last request reached our server (performance.now()). */
  lastRequestAt: number;
  /** Abort callbacks of the streams in flight. */
  aborts: Set<() => void>;
  /** Gateway calls in flight (streams included), from admission to settlement. */
  calls: Tracked;
};
const g = globalThis as typeof globalThis & { __pgLifecycle?: State };
const state: State = (g.__pgLifecycle ??= {
  draining: false, streams: 0, hooks: [], installed: false, waiters: [], aborts: new Set(), calls: { count: 0, aborts: new Set() },
  drainStartedAt: null, graceMs: 0, requests: 0, lastRequestAt: 0,
});
// A state object created by an older copy of this module (dev reloads).
state.aborts ??= new Set();
state.calls ??= { count: 0, aborts: new Set() };
state.requests ??= 0;
state.waiters ??= [];
state.lastRequestAt ??= 0;

export const isDraining = () => state.draining;
export const activeStreams = () => state.streams;
export const activeCalls = () => state.calls.count;

/** Every gateway call settled (its usage event queued). */
const settled = () => state.streams === 0 && state.calls.count === 0;
/** Settled, and every accepted HTTP request answered to its end. */
const idle = () => settled() && state.requests === 0;
function wake() {
  for (const w of [...state.waiters]) if (w.until()) w.resolve();
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
      logger.error({ err, hook: h.name }, "shutdown hook failed");
    }
  }
}

function waitFor(until: () => boolean, ms: number): Promise<void> {
  if (until()) return Promise.resolve();
  return new Promise((resolve) => {
    const w: Waiter = {
      until,
      resolve: () => {
        clearTimeout(t);
        state.waiters.splice(state.waiters.indexOf(w), 1);
        resolve();
      },
    };
    const t = setTimeout(w.resolve, Math.max(0, ms));
    state.waiters.push(w);
  });
}
const waitForIdle = (ms: number) => waitFor(idle, ms);

function runAll(aborts: Set<() => void>): number {
  const pending = [...aborts];
  for (const abort of pending) {
    try {
      abort();
    } catch (err) {
      logger.error({ err }, "aborting in-flight work at shutdown failed");
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
  await waitFor(settled, graceMs);
  return { streams, calls };
}

/** True once the grace period after SIGTERM is over: new requests are refused from then on. */
export function refusingNewRequests(now = performance.now()): boolean {
  return state.drainStartedAt !== null && now - state.drainStartedAt >= state.graceMs;
}

const REFUSAL = new AppError("service_unavailable", "The server is shutting down; retry the request, it will reach another instance", {
  extra: { code: "shutting_down" },
});

/**
 * The request gate of our HTTP server (scripts/server.ts): counts every request
 * from arrival until its response has ended, and refuses new ones once the
 * grace period is over. Returns true when it answered the request itself.
 */
export function gate(req: IncomingMessage, res: ServerResponse): boolean {
  state.lastRequestAt = performance.now();
  // Probes keep their own answers (readiness says draining) until the socket closes.
  if (refusingNewRequests() && !req.url?.startsWith("/api/health/")) {
    const envelope = req.url?.startsWith("/api/v1/") ? "openai" : "default";
    const body = JSON.stringify(errorBody(REFUSAL, envelope));
    // Connection: close so that a keep-alive client opens its next connection elsewhere instead of reusing this one.
    // The request body is read first: closing a socket with unread data resets it, and the client would see a reset, not the 503.
    const answer = () => {
      if (!res.headersSent) res.writeHead(503, { "content-type": "application/json", "retry-after": "1", connection: "close" }).end(body);
    };
    req.once("end", answer).once("error", answer).resume();
    setTimeout(answer, 1000).unref();
    return true;
  }
  state.requests++;
  let ended = false;
  res.once("close", () => {
    if (ended) return;
    ended = true;
    state.requests--;
    wake();
  });
  // Every answer during the drain closes its connection, so no idle keep-alive socket outlives the process.
  if (state.draining) res.setHeader("connection", "close");
  return false;
}

type HttpHandle = { server: Server; gate: typeof gate | null };
const httpHandle = () => (globalThis as { __promptgateHttp?: HttpHandle }).__promptgateHttp;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)).unref());

/** Stops accepting connections and waits (up to `ms`) for the requests already accepted to end. */
async function closeServer(ms: number): Promise<void> {
  const http = httpHandle();
  if (!http) return;
  http.server.close();
  http.server.closeIdleConnections();
  await waitForIdle(ms);
}

// How long the socket must have been quiet before it closes (at most the grace
// period). Requests still queued in the kernel's accept backlog when it closes
// would be reset, so while clients keep arriving (a balancer that has not
// noticed yet, or a loaded machine working through its backlog) they get their
// 503 instead.
const MAX_QUIET_MS = 1000;

/** Waits until nothing is in flight and no request arrived for `quietMs`, or until `deadline` (performance.now()). */
async function waitForQuiet(quietMs: number, deadline: number): Promise<void> {
  for (;;) {
    await waitForIdle(deadline - performance.now());
    const now = performance.now();
    const quietFor = now - state.lastRequestAt;
    if (now >= deadline || (idle() && quietFor >= quietMs)) return;
    await sleep(Math.min(quietMs - quietFor, deadline - now));
  }
}

/** Steps 2 to 4 of the shutdown sequence (readiness is already 503); exported for tests. */
export async function drainAndRunHooks(deadlineMs: number, graceMs = 0): Promise<void> {
  const started = state.drainStartedAt ?? performance.now();
  state.draining = true;
  state.drainStartedAt = started;
  state.graceMs = Math.min(graceMs, deadlineMs);
  // New calls are served until the grace period ends; the process never leaves before it does.
  await sleep(state.graceMs);
  if (httpHandle()) await waitForQuiet(Math.min(MAX_QUIET_MS, state.graceMs), started + deadlineMs);
  else await waitForIdle(deadlineMs - (performance.now() - started));
  let closeWaitMs = 1000;
  if (!idle()) {
    const open = { streams: state.streams, calls: state.calls.count, requests: state.requests };
    const ended = await abortInFlight();
    logger.warn({ open, ended, deadlineMs }, "shutdown deadline reached: ended the remaining streams with an error event");
    // Past the deadline: a response still open has had its call settled; it does not hold the exit.
    closeWaitMs = 100;
  }
  await closeServer(closeWaitMs);
  // Only now: every request that was answered has settled and queued its usage event.
  await runHooks();
}

export function installShutdown(): void {
  if (state.installed) return;
  state.installed = true;
  const { SHUTDOWN_DEADLINE_MS: deadline, DRAIN_GRACE_MS: grace } = config();
  const http = httpHandle();
  if (http) http.gate = gate;
  // Set by scripts/server.ts for Next, which reads it itself: a process flag, not an operator's setting (lib/config).
  if (process.env.NEXT_MANUAL_SIG_HANDLE) {
    let started = false;
    const shutdown = async (signal: string) => {
      // A second signal (a launcher chain relays the same one) is the same shutdown.
      if (started) return;
      started = true;
      state.draining = true;
      state.drainStartedAt = performance.now();
      logger.info({ signal, streams: state.streams, calls: state.calls.count, requests: state.requests, graceMs: grace, deadlineMs: deadline }, "shutting down: draining");
      await drainAndRunHooks(deadline, grace);
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
