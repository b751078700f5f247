import "server-only";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { ProviderError, type RateLimitInfo } from "@/lib/providers";
import { Circuit, type CircuitView } from "./circuit";
import { bucketOf, emptyHistogram } from "./histogram";
import { circuitConfig } from "./routing-settings";
import type { Candidate } from "./pool";
import type { RoutableAccount } from "./registry";

// Passive health, per instance and in memory. The gateway reports every
// attempt here; candidate selection reads it. Everything on this path is
// synchronous and O(1) per call (a few Map lookups and counter bumps): the
// database sees this state only through the periodic snapshot writer
// (snapshots.ts), never per request.
//
// State lives on globalThis because Next may load this module more than once
// (instrumentation, route bundles) and they must share one view.

/** The account-wide circuit: opened by failing active probes, closed by a passing one or a successful call. */
export const ACCOUNT_WIDE = "*";
const EWMA_ALPHA = 0.3;
/** A latency estimate older than this is not trusted: the account gets a fresh measurement. */
const EWMA_STALE_MS = 30_000;
const RECENT_FAILURES = 20;
const MAX_EVENTS = 2_000;
const FAILURE_EVENTS_PER_FLUSH = 5;

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

type RateState = RateLimitInfo & { observedAt: number; requestsSince: number; tokensSince: number };

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

export function allRuntimes(): IterableIterator<AccountRuntime> {
  return state.accounts.values();
}

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

function minuteOf(rt: AccountRuntime, now: number): MinuteStats {
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

const ewma = (prev: number | null, x: number) => (prev === null ? x : prev + EWMA_ALPHA * (x - prev));

// ---- Admission ----------------------------------------------------------------

const GATE = Symbol("promptgate.accountGate");

/** Refusals from callStarted: not the upstream's fault, so never counted against the account. */
function gateError(c: Candidate, why: string): ProviderError {
  const err = new ProviderError(`Account ${c.account.name} is not taking requests right now (${why})`, {
    status: 503,
    // Makes withFailover move straight to the next account without retrying this one.
    code: "provider_misconfigured",
    retryable: false,
    provider: c.account.provider,
  });
  (err as unknown as Record<symbol, boolean>)[GATE] = true;
  return err;
}

export const isGateError = (err: unknown) => typeof err === "object" && err !== null && (err as Record<symbol, unknown>)[GATE] === true;

/** Why an account cannot take a call now, or null if it can (claims nothing). */
export function unavailableReason(account: RoutableAccount, upstreamModel: string, now: number): string | null {
  if (account.draining) return "draining";
  const rt = state.accounts.get(account.id);
  if (!rt) return null;
  if (rt.cooldownUntil > now) return "cooling down after a 429";
  const wide = rt.models.get(ACCOUNT_WIDE);
  if (wide && !wide.circuit.available(now)) return "circuit open (active probe failed)";
  const m = rt.models.get(upstreamModel);
  if (m && !m.circuit.available(now)) return m.circuit.state === "half_open" ? "half-open probe in flight" : "circuit open";
  return null;
}

/** A half-open (or due to become half-open) circuit with its probe slot free: try this account first. */
export function awaitingProbe(account: RoutableAccount, upstreamModel: string, now: number): boolean {
  const rt = state.accounts.get(account.id);
  if (!rt) return false;
  for (const key of [ACCOUNT_WIDE, upstreamModel]) {
    const c = rt.models.get(key)?.circuit;
    if (c && c.state !== "closed" && c.available(now)) return true;
  }
  return false;
}

/** When the earliest unavailable candidate may take calls again (for Retry-After). */
export function nextAvailableAt(account: RoutableAccount, upstreamModel: string): number | null {
  const rt = state.accounts.get(account.id);
  if (!rt || account.draining) return null;
  let at = rt.cooldownUntil;
  for (const key of [ACCOUNT_WIDE, upstreamModel]) {
    const c = rt.models.get(key)?.circuit;
    if (c?.state === "open") at = Math.max(at, c.nextRetryAt);
  }
  return at || null;
}

/**
 * Marks a call to the account as started; the returned function ends it
 * (idempotent). Throws a gate error, before anything is sent, when the
 * account may not take the call: draining, cooling down, circuit open, or
 * half-open with its one probe already out. In half-open state this call
 * becomes the probe.
 */
export function callStarted(c: Candidate): () => void {
  const now = Date.now();
  if (c.account.draining) throw gateError(c, "draining");
  const rt = runtime(c.account.id);
  if (rt.cooldownUntil > now) throw gateError(c, "cooling down after a 429");
  const token = {};
  const wide = rt.models.get(ACCOUNT_WIDE)?.circuit;
  if (wide && !wide.admit(now, token)) throw gateError(c, "circuit open");
  const circuit = modelStats(rt, c.upstreamModel).circuit;
  if (!circuit.admit(now, token)) {
    wide?.releaseProbe(token);
    throw gateError(c, circuit.state === "half_open" ? "half-open probe in flight" : "circuit open");
  }
  if (circuit.probe === token) recordEvent(rt.id, "circuit_half_open", c.upstreamModel, "probe request admitted", now);
  rt.inFlight++;
  rt.requests.add(now, 1);
  if (rt.rate) rt.rate.requestsSince++;
  let done = false;
  return () => {
    if (done) return;
    done = true;
    rt.inFlight = Math.max(0, rt.inFlight - 1);
    if (circuit.probe === token || wide?.probe === token) {
      // The outcome (if any) is reported right after; free the slot only if none came.
      setImmediate(() => {
        circuit.releaseProbe(token);
        wide?.releaseProbe(token);
      });
    }
  };
}

export function inFlightCount(accountId: string): number {
  return state.accounts.get(accountId)?.inFlight ?? 0;
}

// ---- Outcomes -----------------------------------------------------------------

export type SuccessOutcome = { latencyMs: number; ttftMs?: number | null; rateLimit?: RateLimitInfo };

function noteRateLimit(rt: AccountRuntime, info: RateLimitInfo | undefined, now: number): void {
  if (!info) return;
  if (info.remainingRequests === undefined && info.remainingTokens === undefined && info.limitRequests === undefined && info.limitTokens === undefined) return;
  rt.rate = { ...info, observedAt: now, requestsSince: 0, tokensSince: 0 };
}

export function reportSuccess(c: Candidate, o: SuccessOutcome): void {
  const now = Date.now();
  const cfg = circuitConfig();
  const rt = runtime(c.account.id);
  const m = modelStats(rt, c.upstreamModel);
  const wasOpen = m.circuit.state !== "closed";
  m.circuit.success(now, cfg);
  if (wasOpen) recordEvent(rt.id, "circuit_closed", c.upstreamModel, "probe request succeeded", now);
  const wide = rt.models.get(ACCOUNT_WIDE)?.circuit;
  if (wide && wide.state === "half_open") {
    wide.success(now, cfg);
    recordEvent(rt.id, "circuit_closed", null, "a request succeeded after the account-wide circuit's cooldown", now);
  }
  rt.consecutiveFailures = 0;
  const latency = Math.max(0, o.latencyMs);
  const ttft = typeof o.ttftMs === "number" ? Math.max(0, o.ttftMs) : null;
  // One responsiveness estimate per account and model: time to first token for
  // streams, whole latency otherwise (a non-streamed answer's first byte is its last).
  m.ewmaMs = ewma(m.ewmaMs, ttft ?? latency);
  m.observedAt = now;
  rt.ewmaLatencyMs = ewma(rt.ewmaLatencyMs, latency);
  if (ttft !== null) rt.ewmaTtftMs = ewma(rt.ewmaTtftMs, ttft);
  const min = minuteOf(rt, now);
  min.requests++;
  min.successes++;
  min.latencySumMs += latency;
  min.latencyHist[bucketOf(latency)]!++;
  if (ttft !== null) {
    min.ttftCount++;
    min.ttftHist[bucketOf(ttft)]!++;
  }
  noteRateLimit(rt, o.rateLimit, now);
}

/** Client mistakes say nothing about the account's health. */
function isClientError(err: ProviderError): boolean {
  return err.code === "invalid_request" || err.status === 400 || err.status === 413 || err.status === 422;
}

export function reportFailure(c: Candidate, err: ProviderError): void {
  if (isGateError(err)) return;
  const now = Date.now();
  const cfg = circuitConfig();
  const rt = runtime(c.account.id);
  const min = minuteOf(rt, now);
  min.requests++;
  if (isClientError(err)) return;
  const info: ErrorInfo = { at: now, code: err.code, status: err.status, message: (err.upstreamMessage ?? err.message).slice(0, 500), model: c.upstreamModel };
  rt.lastError = info;
  if (rt.recentFailures.length >= RECENT_FAILURES) rt.recentFailures.shift();
  rt.recentFailures.push(info);
  if (err.status === 429) {
    min.rateLimited++;
    const wait = err.retryAfterMs ?? cfg.rateLimitCooldownMs;
    if (wait > 0 && now + wait > rt.cooldownUntil) {
      if (rt.cooldownUntil <= now) recordEvent(rt.id, "cooldown", c.upstreamModel, `429 from the upstream: no traffic for ${Math.round(wait)} ms`, now);
      rt.cooldownUntil = now + wait;
    }
    return;
  }
  min.failures++;
  rt.consecutiveFailures++;
  const reason = `${err.code}${err.status ? ` (HTTP ${err.status})` : ""}`;
  const m = modelStats(rt, c.upstreamModel);
  if (m.circuit.failure(now, cfg, reason)) {
    recordEvent(rt.id, "circuit_open", c.upstreamModel, `${m.circuit.reason}; retry after ${Math.round(m.circuit.nextRetryAt - now)} ms`, now);
  }
  const wide = rt.models.get(ACCOUNT_WIDE)?.circuit;
  if (wide && wide.state === "half_open") wide.failure(now, cfg, reason);
  if (rt.failureEvents < FAILURE_EVENTS_PER_FLUSH) {
    rt.failureEvents++;
    recordEvent(rt.id, "failure", c.upstreamModel, `${reason}: ${info.message}`, now);
  }
}

/** Tokens settled for an account (from the usage writer's batches): the own TPM count. */
export function recordTokens(accountId: string, inputTokens: number, outputTokens: number, now = Date.now()): void {
  const rt = runtime(accountId);
  rt.tokens.add(now, inputTokens + outputTokens);
  if (rt.rate) rt.rate.tokensSince += inputTokens + outputTokens;
  const min = minuteOf(rt, now);
  min.inputTokens += inputTokens;
  min.outputTokens += outputTokens;
}

// ---- Active probes and admin actions ---------------------------------------------

export function recordProbe(accountId: string, ok: boolean, message: string, now = Date.now()): void {
  const cfg = circuitConfig();
  const rt = runtime(accountId);
  rt.probe = { healthy: ok, at: now, message };
  const wide = modelStats(rt, ACCOUNT_WIDE);
  if (ok) {
    if (wide.circuit.state !== "closed") recordEvent(accountId, "circuit_closed", null, `active probe passed: ${message}`, now);
    wide.circuit.close(now);
    recordEvent(accountId, "probe_ok", null, message, now);
  } else {
    if (wide.circuit.state !== "open") {
      wide.circuit.open(now, cfg, `active probe failed: ${message}`);
      recordEvent(accountId, "circuit_open", null, `active probe failed: ${message}; retry after ${Math.round(wide.circuit.nextRetryAt - now)} ms`, now);
    }
    recordEvent(accountId, "probe_failed", null, message, now);
  }
}

/** Closes every circuit of the account and clears its cool-down (admin "reset circuit"). */
export function resetAccountHealth(accountId: string, now = Date.now()): void {
  const rt = state.accounts.get(accountId);
  if (!rt) return;
  for (const m of rt.models.values()) m.circuit.reset();
  rt.cooldownUntil = 0;
  rt.consecutiveFailures = 0;
  recordEvent(accountId, "circuit_reset", null, "reset by an admin", now);
}

// ---- Views ----------------------------------------------------------------------

export type AccountStatus = "healthy" | "degraded" | "circuit_open" | "cooling_down" | "disabled" | "draining";

/** Worst first: the order in which statuses win when instances disagree. */
export const STATUS_RANK: Record<AccountStatus, number> = {
  disabled: 0, draining: 1, circuit_open: 2, cooling_down: 3, degraded: 4, healthy: 5,
};

export type LocalAccountHealth = {
  accountId: string;
  status: Exclude<AccountStatus, "disabled" | "draining">;
  reason: string | null;
  inFlight: number;
  consecutiveFailures: number;
  cooldownUntil: number | null;
  ewmaLatencyMs: number | null;
  ewmaTtftMs: number | null;
  probe: AccountRuntime["probe"];
  lastError: ErrorInfo | null;
  recentFailures: ErrorInfo[];
  circuits: CircuitView[];
  rate: (RateState & { ownRpm: number; ownTpm: number }) | { ownRpm: number; ownTpm: number };
};

export function localHealth(rt: AccountRuntime, now = Date.now()): LocalAccountHealth {
  const cfg = circuitConfig();
  const circuits = [...rt.models.values()].map((m) => m.circuit.view(now, cfg.windowMs));
  const open = circuits.filter((c) => c.state !== "closed");
  let status: LocalAccountHealth["status"] = "healthy";
  let reason: string | null = null;
  if (open.length) {
    status = "circuit_open";
    reason = open.map((c) => `${c.model === ACCOUNT_WIDE ? "account" : c.model}: ${c.reason ?? c.state}`).join("; ");
  } else if (rt.cooldownUntil > now) {
    status = "cooling_down";
    reason = "rate-limited by the upstream (429)";
  } else {
    const w = circuits.reduce((t, c) => ({ r: t.r + c.windowRequests, f: t.f + c.windowFailures }), { r: 0, f: 0 });
    if (rt.consecutiveFailures > 0 || (w.f > 0 && w.f / Math.max(1, w.r) >= 0.1)) {
      status = "degraded";
      reason = rt.consecutiveFailures > 0 ? `${rt.consecutiveFailures} failure(s) in a row` : `${w.f} of ${w.r} recent calls failed`;
    }
  }
  return {
    accountId: rt.id, status, reason, inFlight: rt.inFlight, consecutiveFailures: rt.consecutiveFailures,
    cooldownUntil: rt.cooldownUntil > now ? rt.cooldownUntil : null, ewmaLatencyMs: rt.ewmaLatencyMs, ewmaTtftMs: rt.ewmaTtftMs,
    probe: rt.probe, lastError: rt.lastError, recentFailures: [...rt.recentFailures], circuits,
    rate: { ...(rt.rate ?? {}), ownRpm: rt.requests.sum(now), ownTpm: rt.tokens.sum(now) },
  };
}

// ---- Strategy inputs ----------------------------------------------------------------

/** Expected responsiveness in ms (lower is better); 0 when unknown or stale, so the account gets measured. */
export function latencyScore(account: RoutableAccount, upstreamModel: string, now: number): number {
  const m = state.accounts.get(account.id)?.models.get(upstreamModel);
  if (!m || m.ewmaMs === null || now - m.observedAt > EWMA_STALE_MS) return 0;
  return m.ewmaMs;
}

/**
 * Remaining rate-limit share in [0, 1]: the least of what the upstream's own
 * x-ratelimit headers said (minus what we sent since) and our counts against
 * the configured RPM/TPM limits. 1 when nothing is known.
 */
export function headroom(account: RoutableAccount, now: number): number {
  const rt = state.accounts.get(account.id);
  let h = 1;
  if (account.rpmLimit) h = Math.min(h, 1 - (rt?.requests.sum(now) ?? 0) / account.rpmLimit);
  if (account.tpmLimit) h = Math.min(h, 1 - (rt?.tokens.sum(now) ?? 0) / account.tpmLimit);
  const r = rt?.rate;
  if (r) {
    if (r.limitRequests && r.remainingRequests !== undefined && now < r.observedAt + (r.resetRequestsMs ?? 60_000)) {
      h = Math.min(h, (r.remainingRequests - r.requestsSince) / r.limitRequests);
    }
    if (r.limitTokens && r.remainingTokens !== undefined && now < r.observedAt + (r.resetTokensMs ?? 60_000)) {
      h = Math.min(h, (r.remainingTokens - r.tokensSince) / r.limitTokens);
    }
  }
  return Math.max(0, h);
}

// ---- Seeding --------------------------------------------------------------------------

export type SeedSnapshot = {
  accountId: string;
  cooldownUntil: number | null;
  ewmaLatencyMs: number | null;
  ewmaTtftMs: number | null;
  circuits: CircuitView[];
  lastError: ErrorInfo | null;
};

/** Starts this instance with what the cluster knows: open circuits, cool-downs and latency estimates. */
export function seedFrom(snapshots: SeedSnapshot[], now = Date.now()): number {
  const cfg = circuitConfig();
  let seeded = 0;
  for (const s of snapshots) {
    const rt = runtime(s.accountId);
    if (s.cooldownUntil && s.cooldownUntil > now) rt.cooldownUntil = Math.max(rt.cooldownUntil, s.cooldownUntil);
    if (s.ewmaLatencyMs !== null && rt.ewmaLatencyMs === null) rt.ewmaLatencyMs = s.ewmaLatencyMs;
    if (s.ewmaTtftMs !== null && rt.ewmaTtftMs === null) rt.ewmaTtftMs = s.ewmaTtftMs;
    if (s.lastError && (!rt.lastError || rt.lastError.at < s.lastError.at)) rt.lastError = s.lastError;
    for (const c of s.circuits) {
      if (c.state === "closed" || !c.nextRetryAt || c.nextRetryAt <= now) continue;
      const m = modelStats(rt, c.model);
      if (m.circuit.state !== "closed" && m.circuit.nextRetryAt >= c.nextRetryAt) continue;
      m.circuit.open(now, cfg, c.reason ?? "open elsewhere in the cluster");
      m.circuit.trips = Math.max(m.circuit.trips, c.trips);
      m.circuit.nextRetryAt = c.nextRetryAt;
      m.circuit.openedAt = c.openedAt ?? now;
      seeded++;
    }
  }
  return seeded;
}

/** Test hook: forget everything this instance knows. */
export function clearHealthState(): void {
  state.accounts.clear();
  state.events.length = 0;
}
