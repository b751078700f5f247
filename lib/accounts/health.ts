import "server-only";
import type { ProviderError, RateLimitInfo } from "@/lib/providers";
import type { Candidate } from "./pool";

// Outcome reporting from the gateway to the account pool. The gateway calls
// these on every attempt; the health-aware pool (circuit breakers, EWMA
// latency, cool-downs) is built behind them. They must stay synchronous and
// allocation-light: they run on the hot path.

const inFlight = new Map<string, number>();

/** Marks a call to the account as started; the returned function ends it (idempotent). */
export function callStarted(c: Candidate): () => void {
  const id = c.account.id;
  inFlight.set(id, (inFlight.get(id) ?? 0) + 1);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    inFlight.set(id, Math.max(0, (inFlight.get(id) ?? 1) - 1));
  };
}

export function inFlightCount(accountId: string): number {
  return inFlight.get(accountId) ?? 0;
}

export type SuccessOutcome = { latencyMs: number; ttftMs?: number | null; rateLimit?: RateLimitInfo };

export function reportSuccess(_c: Candidate, _o: SuccessOutcome): void {}

export function reportFailure(_c: Candidate, _err: ProviderError): void {}
