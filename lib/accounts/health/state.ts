import "server-only";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { RateLimitInfo } from "@/lib/providers";
import { Circuit } from "./circuit";
import { emptyHistogram } from "./histogram";

// Passive health, per instance and in memory: the runtime state every other
// file in this folder reads (gates.ts, views.ts) or writes (outcomes.ts).
// Everything on the request path is synchronous and O(1) per call (a few Map
// lookups and counter bumps): the database sees this state only through the
// periodic snapshot writer (snapshots.ts), never per request.
//
// State lives on globalThis under "__pgAccountHealth" because Next may load
// this module more than once (instrumentation, route bundles) and they must
// share one view. The key is part of that contract: renaming it would let two
// bundled copies keep two states.

/** The account-wide circuit: opened by failing active probes, closed by a passing one or a successful call. */
export const ACCOUNT_WIDE = "*";
const MAX_EVENTS = 2_000;

/** Ten-second buckets over the last minute: the account's own request and token rates. */
class MinuteRing {
  private readonly counts = new Array<number>(6).fill(0);
  private readonly starts = new Array<number>(6).fill(0);
  add(now: number, n: number): void {
    const start = now - (now % 10_000);
    const i = Math.floor(start / 10_000) % 6;
    if (this.starts[i] !== start) {
      this.starts[i] = start;
      this.counts[i] = 0;
    }
    this.counts[i]! += n;
  }
  sum(now: number): number {
    let s = 0;
    for (let i = 0; i < 6; i++) if (now - this.starts[i]! < 60_000) s += this.counts[i]!;
    return s;
  }
}

export type MinuteStats = {
  minute: number;
  requests: number;
  failures: number;
  rateLimited: number;
  successes: number;
  latencySumMs: number;
  latencyHist: number[];
  ttftCount: number;
  ttftHist: number[];
  inputTokens: number;
  outputTokens: number;
};

export type ErrorInfo = { at: number; code: string; status: number; message: string; model: string | null };

export type RateState = RateLimitInfo & { observedAt: number; requestsSince: number; tokensSince: number };

export type ModelStats = { circuit: Circuit; ewmaMs: number | null; observedAt: number };

export type AccountRuntime = {
  id: string;
  inFlight: number;
  cooldownUntil: number;
  ewmaLatencyMs: number | null;
  ewmaTtftMs: number | null;
  consecutiveFailures: number;
  lastError: ErrorInfo | null;
  recentFailures: ErrorInfo[];
  rate: RateState | null;
  requests: MinuteRing;
  tokens: MinuteRing;
  minutes: Map<number, MinuteStats>;
  models: Map<string, ModelStats>;
  probe: { healthy: boolean | null; at: number; message: string | null };
  failureEvents: number;
};

export type HealthEvent = { accountId: string; at: number; kind: string; model: string | null; detail: string | null };

type State = { accounts: Map<string, AccountRuntime>; events: HealthEvent[]; instanceId: string; startedAt: number };
const g = globalThis as typeof globalThis & { __pgAccountHealth?: State };
const state: State = (g.__pgAccountHealth ??= {
  accounts: new Map(),
  events: [],
  instanceId: `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`,
  startedAt: Date.now(),
});

export const instanceId = () => state.instanceId;

export function runtime(accountId: string): AccountRuntime {
  let rt = state.accounts.get(accountId);
  if (!rt) {
    rt = {
      id: accountId, inFlight: 0, cooldownUntil: 0, ewmaLatencyMs: null, ewmaTtftMs: null, consecutiveFailures: 0,
      lastError: null, recentFailures: [], rate: null, requests: new MinuteRing(), tokens: new MinuteRing(),
      minutes: new Map(), models: new Map(), probe: { healthy: null, at: 0, message: null }, failureEvents: 0,
    };
    state.accounts.set(accountId, rt);
  }
  return rt;
}

export function modelStats(rt: AccountRuntime, model: string): ModelStats {
  let m = rt.models.get(model);
  if (!m) {
    m = { circuit: new Circuit(model), ewmaMs: null, observedAt: 0 };
    rt.models.set(model, m);
  }
  return m;
}

/**
 * The account's state if it has any, without creating it: a read must not
 * allocate state for an account that never took a call (every runtime is a
 * row in the next snapshot).
 */
export function peekRuntime(accountId: string): AccountRuntime | undefined {
  return state.accounts.get(accountId);
}

export function allRuntimes(): IterableIterator<AccountRuntime> {
  return state.accounts.values();
}

// The event buffer: bounded at MAX_EVENTS (the oldest go first), emptied by
// the snapshot writer and refilled ahead of newer events when its write fails.

export function recordEvent(accountId: string, kind: string, model: string | null, detail: string | null, at = Date.now()): void {
  if (state.events.length >= MAX_EVENTS) state.events.shift();
  state.events.push({ accountId, at, kind, model, detail: detail ? detail.slice(0, 500) : null });
}

/** Takes the events recorded since the last call (the snapshot writer persists them). */
export function drainEvents(): HealthEvent[] {
  for (const rt of state.accounts.values()) rt.failureEvents = 0;
  return state.events.splice(0);
}

/** Puts back events whose write failed, ahead of newer ones. */
export function requeueEvents(events: HealthEvent[]): void {
  state.events.unshift(...events.slice(-(MAX_EVENTS - state.events.length)));
}

/** The account's counters for the minute containing now (what snapshots.ts stores per minute). */
export function minuteOf(rt: AccountRuntime, now: number): MinuteStats {
  const minute = now - (now % 60_000);
  let m = rt.minutes.get(minute);
  if (!m) {
    m = {
      minute, requests: 0, failures: 0, rateLimited: 0, successes: 0, latencySumMs: 0,
      latencyHist: emptyHistogram(), ttftCount: 0, ttftHist: emptyHistogram(), inputTokens: 0, outputTokens: 0,
    };
    rt.minutes.set(minute, m);
  }
  return m;
}

/** Test hook: forget everything this instance knows. */
export function clearHealthState(): void {
  state.accounts.clear();
  state.events.length = 0;
}
