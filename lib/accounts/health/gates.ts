import "server-only";
import type { RoutableAccount } from "../registry";
import { ACCOUNT_WIDE, peekRuntime } from "./state";

// What the pool (pickAccounts) reads to order candidates. Pure reads of the
// runtime state: nothing here claims a probe slot or creates an account's
// state, so a pick that is never followed by a call changes nothing. The one
// admission that does claim (the half-open probe) is callStarted, in
// outcomes.ts, because only a call that really starts may take the slot.

/** A latency estimate older than this is not trusted: the account gets a fresh measurement. */
const EWMA_STALE_MS = 30_000;

/** Why an account cannot take a call now, or null if it can (claims nothing). */
export function unavailableReason(account: RoutableAccount, upstreamModel: string, now: number): string | null {
  if (account.draining) return "draining";
  const rt = peekRuntime(account.id);
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
  const rt = peekRuntime(account.id);
  if (!rt) return false;
  for (const key of [ACCOUNT_WIDE, upstreamModel]) {
    const c = rt.models.get(key)?.circuit;
    if (c && c.state !== "closed" && c.available(now)) return true;
  }
  return false;
}

/** When the earliest unavailable candidate may take calls again (for Retry-After). */
export function nextAvailableAt(account: RoutableAccount, upstreamModel: string): number | null {
  const rt = peekRuntime(account.id);
  if (!rt || account.draining) return null;
  let at = rt.cooldownUntil;
  for (const key of [ACCOUNT_WIDE, upstreamModel]) {
    const c = rt.models.get(key)?.circuit;
    if (c?.state === "open") at = Math.max(at, c.nextRetryAt);
  }
  return at || null;
}

export function inFlightCount(accountId: string): number {
  return peekRuntime(accountId)?.inFlight ?? 0;
}

// ---- Strategy inputs ----------------------------------------------------------------

/** Expected responsiveness in ms (lower is better); 0 when unknown or stale, so the account gets measured. */
export function latencyScore(account: RoutableAccount, upstreamModel: string, now: number): number {
  const m = peekRuntime(account.id)?.models.get(upstreamModel);
  if (!m || m.ewmaMs === null || now - m.observedAt > EWMA_STALE_MS) return 0;
  return m.ewmaMs;
}

/**
 * Remaining rate-limit share in [0, 1]: the least of what the upstream's own
 * x-ratelimit headers said (minus what we sent since) and our counts against
 * the configured RPM/TPM limits. 1 when nothing is known.
 */
export function headroom(account: RoutableAccount, now: number): number {
  const rt = peekRuntime(account.id);
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
