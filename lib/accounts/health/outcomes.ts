import "server-only";
import { ProviderError, type RateLimitInfo } from "@/lib/providers";
import type { Candidate } from "../pool";
import { circuitConfig } from "../routing-settings";
import { bucketOf } from "./histogram";
import {
  ACCOUNT_WIDE, minuteOf, modelStats, peekRuntime, recordEvent, runtime, type AccountRuntime, type ErrorInfo,
} from "./state";

// What happened, written into the runtime state by those who saw it: the
// gateway (callStarted, reportSuccess, reportFailure), the usage writer's
// batches (recordTokens), active probes (recordProbe) and admin resets
// (resetAccountHealth). Each call is synchronous and O(1); none of them
// touches the database.

const EWMA_ALPHA = 0.3;
const RECENT_FAILURES = 20;
const FAILURE_EVENTS_PER_FLUSH = 5;

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
  const rt = peekRuntime(accountId);
  if (!rt) return;
  for (const m of rt.models.values()) m.circuit.reset();
  rt.cooldownUntil = 0;
  rt.consecutiveFailures = 0;
  recordEvent(accountId, "circuit_reset", null, "reset by an admin", now);
}
