import "server-only";
import pg from "pg";
import { config } from "@/lib/config";
import { pool } from "./index";

// Cross-instance cache invalidation over Postgres LISTEN/NOTIFY. Each process
// holds one dedicated listening connection (opened when the first subscriber
// registers). Topics are small strings ("accounts", "apikeys", "prompts");
// payloads are short hints. If the connection drops, every subscriber is told
// to drop everything ("*"), because notifications sent meanwhile are lost.

const CHANNEL = "promptgate_invalidate";
type Listener = (payload: string) => void;

type State = {
  listeners: Map<string, Set<Listener>>;
  client?: pg.Client;
  connecting?: Promise<void>;
  retryMs: number;
  closed: boolean;
};
const g = globalThis as typeof globalThis & { __pgNotify?: State };
const state: State = (g.__pgNotify ??= { listeners: new Map(), retryMs: 250, closed: false });

function dispatch(topic: string, payload: string) {
  for (const l of state.listeners.get(topic) ?? []) l(payload);
}

function dropAll() {
  for (const [, set] of state.listeners) for (const l of set) l("*");
}

async function connect(): Promise<void> {
  const client = new pg.Client({ connectionString: config().DATABASE_URL, application_name: "promptgate-listen" });
  client.on("notification", (msg) => {
    if (msg.channel !== CHANNEL || !msg.payload) return;
    const i = msg.payload.indexOf(":");
    dispatch(i < 0 ? msg.payload : msg.payload.slice(0, i), i < 0 ? "" : msg.payload.slice(i + 1));
  });
  const reconnect = () => {
    if (state.client !== client || state.closed) return;
    state.client = undefined;
    dropAll();
    const wait = state.retryMs;
    state.retryMs = Math.min(state.retryMs * 2, 10_000);
    setTimeout(() => void ensureListening().catch(() => {}), wait).unref();
  };
  client.on("error", reconnect);
  client.on("end", reconnect);
  await client.connect();
  await client.query(`LISTEN ${CHANNEL}`);
  state.client = client;
  state.retryMs = 250;
}

export function ensureListening(): Promise<void> {
  if (state.client || state.closed) return Promise.resolve();
  state.connecting ??= connect().finally(() => {
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

/** Subscribes to a topic; `"*"` is delivered when notifications may have been missed. */
export function onInvalidate(topic: string, listener: Listener): () => void {
  const set = state.listeners.get(topic) ?? new Set();
  set.add(listener);
  state.listeners.set(topic, set);
  void ensureListening().catch(() => {
    // Retried on the next subscription or publish; caches still expire on their own.
  });
  return () => set.delete(listener);
}

/** Tells every instance (this one included) that `topic` changed. Call after the change is committed. */
export async function publishInvalidation(topic: string, payload = ""): Promise<void> {
  await pool().query("SELECT pg_notify($1, $2)", [CHANNEL, `${topic}:${payload}`]);
}

export async function closeListener(): Promise<void> {
  state.closed = true;
  const c = state.client;
  state.client = undefined;
  await c?.end().catch(() => {});
}
