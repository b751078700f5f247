import "server-only";
import pg from "pg";
import { config } from "@/lib/config";
import { pool } from "./index";
import { noteAnswer } from "./reachability";

// Cross-instance cache invalidation over Postgres LISTEN/NOTIFY. Each process
// holds one dedicated listening connection (opened when the first subscriber
// registers). Topics are small strings ("accounts", "apikeys", "prompts");
// payloads are short hints.
//
// Losing the connection changes nothing in the caches: their entries keep
// serving up to their own TTL (and past it while the database cannot be
// reached, each cache's stale-if-error rule). Dropping them then would send
// every call, even one that needs no database, to a database that is down
// (faults #14.3). The listener reconnects with backoff (250 ms doubling to
// RETRY_MAX_MS), and on every successful RE-connect delivers "*" once to each
// topic, because notifications published meanwhile are lost: every cache then
// reloads once, from a database that has just answered. A first connection
// delivers nothing (there was nothing to miss) unless attempts before it
// failed; caches that must not keep a read from before it (prompts,
// experiments) ask willHearInvalidations().

const CHANNEL = "promptgate_invalidate";
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5000;
// A frozen server accepts TCP connections and then says nothing: bound the handshake and the LISTEN.
const CONNECT_TIMEOUT_MS = 5000;
type Listener = (payload: string) => void;

type State = {
  listeners: Map<string, Set<Listener>>;
  client?: pg.Client;
  connecting?: Promise<void>;
  retry?: NodeJS.Timeout;
  retryMs: number;
  closed: boolean;
  /** Not listening although subscribers are registered (connection lost, or an attempt failed): the next connect delivers "*". */
  missed?: boolean;
};
const g = globalThis as typeof globalThis & { __pgNotify?: State };
const state: State = (g.__pgNotify ??= { listeners: new Map(), retryMs: RETRY_MIN_MS, closed: false });

function dispatch(topic: string, payload: string) {
  for (const l of state.listeners.get(topic) ?? []) {
    try {
      l(payload);
    } catch {}
  }
}

/** After a reconnect: whatever was published while we were not listening is lost, so every topic reloads. */
function deliverMissed() {
  for (const topic of state.listeners.keys()) dispatch(topic, "*");
}

function scheduleRetry() {
  if (state.closed || state.retry || state.client) return;
  const wait = state.retryMs;
  state.retryMs = Math.min(state.retryMs * 2, RETRY_MAX_MS);
  state.retry = setTimeout(() => {
    state.retry = undefined;
    void ensureListening().catch(() => {});
  }, wait);
  state.retry.unref();
}

async function connect(): Promise<void> {
  const client = new pg.Client({
    connectionString: config().DATABASE_URL, application_name: "promptgate-listen", connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true,
  });
  client.on("notification", (msg) => {
    if (msg.channel !== CHANNEL || !msg.payload) return;
    const i = msg.payload.indexOf(":");
    dispatch(i < 0 ? msg.payload : msg.payload.slice(0, i), i < 0 ? "" : msg.payload.slice(i + 1));
  });
  const lost = () => {
    if (state.client !== client || state.closed) return;
    // Nothing is dropped here: the caches keep serving, and the reconnect makes them reload.
    state.client = undefined;
    state.missed = true;
    scheduleRetry();
  };
  client.on("error", lost);
  client.on("end", lost);
  try {
    await client.connect();
    await client.query({ text: `LISTEN ${CHANNEL}`, query_timeout: CONNECT_TIMEOUT_MS } as pg.QueryConfig);
  } catch (err) {
    client.end().catch(() => {});
    throw err;
  }
  if (state.closed) {
    await client.end().catch(() => {});
    return;
  }
  state.client = client;
  state.retryMs = RETRY_MIN_MS;
  noteAnswer();
  if (state.missed) {
    state.missed = false;
    deliverMissed();
  }
}

export function ensureListening(): Promise<void> {
  if (state.client || state.closed) return Promise.resolve();
  state.connecting ??= connect()
    .catch((err: unknown) => {
      // Keep trying in the background for the subscribers already registered; callers see the failure.
      if (state.listeners.size) {
        state.missed = true;
        queueMicrotask(scheduleRetry);
      }
      throw err;
    })
    .finally(() => {
      state.connecting = undefined;
    });
  return state.connecting;
}

/**
 * Whether this process's LISTEN connection is up now. A cache that may skip the
 * database for what it was never told about needs it up before it loads, and
 * is told "*" if it drops afterwards.
 */
export function isListening(): boolean {
  return state.client !== undefined;
}

/**
 * Whether every change committed from now on reaches this instance: as a notification, or as the
 * "*" the next connection delivers. Waits only for a first connection (bounded by its connect
 * timeout); while reconnecting it answers true at once, since the reconnect delivers "*". Caches
 * that must never keep a read older than their invalidation ask this before caching.
 */
export async function willHearInvalidations(): Promise<boolean> {
  if (state.client || state.missed) return true;
  return ensureListening().then(
    () => state.client !== undefined,
    () => state.missed === true,
  );
}

/** Subscribes to a topic; `"*"` is delivered when notifications may have been missed. */
export function onInvalidate(topic: string, listener: Listener): () => void {
  const set = state.listeners.get(topic) ?? new Set();
  set.add(listener);
  state.listeners.set(topic, set);
  void ensureListening().catch(() => {
    // Retried with backoff (scheduleRetry); caches still expire on their own.
  });
  return () => set.delete(listener);
}

/** Tells every instance (this one included) that `topic` changed. Call after the change is committed. */
export async function publishInvalidation(topic: string, payload = ""): Promise<void> {
  await pool().query("SELECT pg_notify($1, $2)", [CHANNEL, `${topic}:${payload}`]);
}

export async function closeListener(): Promise<void> {
  state.closed = true;
  clearTimeout(state.retry);
  state.retry = undefined;
  const c = state.client;
  state.client = undefined;
  await c?.end().catch(() => {});
}
