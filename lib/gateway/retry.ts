import "server-only";
import { setTimeout as sleep } from "node:timers/promises";
import { config } from "@/lib/config";
import { isAbortError, isProviderError, type ProviderError } from "@/lib/providers";
import type { Candidate } from "@/lib/accounts";

export type RetryPolicy = { attemptsPerAccount: number; baseDelayMs: number; maxDelayMs: number; maxRetryAfterMs: number };

export const defaultRetryPolicy = (): RetryPolicy => ({
  attemptsPerAccount: config().GATEWAY_ATTEMPTS_PER_ACCOUNT,
  baseDelayMs: config().GATEWAY_RETRY_BASE_MS,
  maxDelayMs: 2_000,
  // A Retry-After longer than this is not waited for: the next account is tried instead.
  maxRetryAfterMs: config().GATEWAY_MAX_RETRY_AFTER_MS,
});

/** Exponential backoff with full jitter: uniform in [0, min(max, base·2^n)]. */
export function backoffMs(attempt: number, p: RetryPolicy, random = Math.random): number {
  return Math.round(random() * Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** attempt));
}

// Statuses that say "this account cannot serve", not "the request is wrong".
const ACCOUNT_PROBLEM = new Set([401, 403, 404]);

export type Attempted<T> = { value: T; candidate: Candidate; attempts: number };

export class AllAttemptsFailed extends Error {
  constructor(readonly last: ProviderError, readonly attempts: number, readonly candidate: Candidate) {
    super(last.message);
    this.name = "AllAttemptsFailed";
  }
}

/**
 * Tries each candidate in order, retrying retryable failures on the same
 * account with backoff (honouring Retry-After) before moving on. Only used
 * before the first byte reaches the client, so every retry is invisible to it.
 */
export async function withFailover<T>(
  candidates: Candidate[],
  signal: AbortSignal,
  attempt: (c: Candidate) => Promise<T>,
  policy: RetryPolicy = defaultRetryPolicy(),
  onFailure?: (c: Candidate, err: ProviderError) => void,
): Promise<Attempted<T>> {
  let attempts = 0;
  let last: { err: ProviderError; candidate: Candidate } | undefined;
  for (const [index, candidate] of candidates.entries()) {
    const othersRemain = index < candidates.length - 1;
    for (let i = 0; i < policy.attemptsPerAccount; i++) {
      if (signal.aborted) throw signal.reason;
      attempts++;
      try {
        return { value: await attempt(candidate), candidate, attempts };
      } catch (err) {
        if (isAbortError(err) || signal.aborted || !isProviderError(err)) throw err;
        last = { err, candidate };
        onFailure?.(candidate, err);
        if (!err.retryable) {
          if (ACCOUNT_PROBLEM.has(err.status) || err.code === "provider_misconfigured") break;
          throw new AllAttemptsFailed(err, attempts, candidate);
        }
        if (i + 1 >= policy.attemptsPerAccount) break;
        // A rate-limited account is cooling down (the pool skips it now); another account can answer at once.
        if (err.status === 429 && othersRemain) break;
        const wait = err.retryAfterMs ?? backoffMs(i, policy);
        if (wait > policy.maxRetryAfterMs) break;
        // Rejects with an AbortError when the client goes away mid-wait.
        await sleep(wait, undefined, { signal });
      }
    }
  }
  if (!last) throw new Error("withFailover needs at least one candidate");
  throw new AllAttemptsFailed(last.err, attempts, last.candidate);
}
