import "server-only";
import type { CircuitSettings } from "../schemas";

// A circuit breaker for one account and model. Pure state and arithmetic with
// the clock passed in, so it is unit-testable and cheap: every method is O(1)
// (the error-rate window is a fixed ring of buckets).
//
//   closed ──(N consecutive failures, or error rate > X% over the window
//             with ≥ M requests)──▶ open
//   open ──(cooldown elapsed)──▶ half-open: exactly one call is let through
//   half-open ──probe succeeds──▶ closed     half-open ──probe fails──▶ open (longer cooldown)
//
// A trip that comes soon after the previous close doubles the cooldown (up to
// the maximum); a trip after a long healthy stretch starts from the base again.

export type CircuitState = "closed" | "open" | "half_open";

const WINDOW_BUCKETS = 10;
/** A close that lasted this many max-cooldowns resets the exponential backoff. */
const CALM_FACTOR = 2;

export type CircuitView = {
  model: string;
  state: CircuitState;
  consecutiveFailures: number;
  trips: number;
  openedAt: number | null;
  nextRetryAt: number | null;
  windowRequests: number;
  windowFailures: number;
  reason: string | null;
};

export class Circuit {
  state: CircuitState = "closed";
  consecutiveFailures = 0;
  trips = 0;
  openedAt = 0;
  nextRetryAt = 0;
  closedAt = 0;
  reason: string | null = null;
  /** The call currently holding the half-open slot (an opaque token), if any. */
  probe: object | null = null;
  private readonly okBuckets = new Array<number>(WINDOW_BUCKETS).fill(0);
  private readonly failBuckets = new Array<number>(WINDOW_BUCKETS).fill(0);
  private readonly bucketStart = new Array<number>(WINDOW_BUCKETS).fill(0);

  constructor(readonly model: string) {}

  private bucket(now: number, windowMs: number): number {
    const width = Math.max(1, Math.floor(windowMs / WINDOW_BUCKETS));
    const start = now - (now % width);
    const i = Math.floor(start / width) % WINDOW_BUCKETS;
    if (this.bucketStart[i] !== start) {
      this.bucketStart[i] = start;
      this.okBuckets[i] = 0;
      this.failBuckets[i] = 0;
    }
    return i;
  }

  /** Requests and failures within the window ending now. */
  window(now: number, windowMs: number): { requests: number; failures: number } {
    let ok = 0;
    let fail = 0;
    for (let i = 0; i < WINDOW_BUCKETS; i++) {
      if (now - this.bucketStart[i]! < windowMs) {
        ok += this.okBuckets[i]!;
        fail += this.failBuckets[i]!;
      }
    }
    return { requests: ok + fail, failures: fail };
  }

  /**
   * Whether a new call may start now. In half-open state the first caller gets
   * the slot (`token` becomes the probe) and every other caller is refused
   * until that call reports or ends.
   */
  admit(now: number, token?: object): boolean {
    if (this.state === "closed") return true;
    if (this.state === "open") {
      if (now < this.nextRetryAt) return false;
      this.state = "half_open";
      this.probe = null;
    }
    if (this.probe) return false;
    if (token) this.probe = token;
    return true;
  }

  /** Whether a call could be admitted now, without claiming anything (for candidate selection). */
  available(now: number): boolean {
    if (this.state === "closed") return true;
    if (this.state === "open") return now >= this.nextRetryAt;
    return this.probe === null;
  }

  /** A half-open call ended without an outcome (client abort): let another call probe. */
  releaseProbe(token: object): void {
    if (this.probe === token) this.probe = null;
  }

  success(now: number, cfg: CircuitSettings): void {
    this.okBuckets[this.bucket(now, cfg.windowMs)]!++;
    this.consecutiveFailures = 0;
    if (this.state !== "closed") this.close(now);
  }

  /** Records a failure; returns true when this failure opened the circuit. */
  failure(now: number, cfg: CircuitSettings, reason: string): boolean {
    this.failBuckets[this.bucket(now, cfg.windowMs)]!++;
    this.consecutiveFailures++;
    if (this.state === "half_open") {
      this.open(now, cfg, `half-open probe failed: ${reason}`);
      return true;
    }
    if (this.state === "open") return false;
    if (this.consecutiveFailures >= cfg.consecutiveFailures) {
      this.open(now, cfg, `${this.consecutiveFailures} consecutive failures (last: ${reason})`);
      return true;
    }
    const w = this.window(now, cfg.windowMs);
    if (w.requests >= cfg.minRequests && w.failures / w.requests > cfg.errorRate) {
      this.open(now, cfg, `error rate ${Math.round((100 * w.failures) / w.requests)}% over ${w.requests} requests (last: ${reason})`);
      return true;
    }
    return false;
  }

  /** Opens now (also used by active probes and by seeding from the cluster). */
  open(now: number, cfg: CircuitSettings, reason: string): void {
    const calm = this.closedAt > 0 && now - this.closedAt > CALM_FACTOR * cfg.maxCooldownMs;
    this.trips = calm || this.trips === 0 ? 1 : this.trips + 1;
    this.state = "open";
    this.openedAt = now;
    this.nextRetryAt = now + cooldownFor(this.trips, cfg);
    this.probe = null;
    this.reason = reason;
  }

  close(now: number): void {
    this.state = "closed";
    this.closedAt = now;
    this.consecutiveFailures = 0;
    this.probe = null;
    this.reason = null;
  }

  /** Admin reset: closed, with no memory of past trips or failures. */
  reset(): void {
    this.close(0);
    this.trips = 0;
    this.closedAt = 0;
    this.okBuckets.fill(0);
    this.failBuckets.fill(0);
  }

  view(now: number, windowMs: number): CircuitView {
    const w = this.window(now, windowMs);
    const open = this.state !== "closed";
    return {
      model: this.model,
      state: this.state === "open" && now >= this.nextRetryAt ? "half_open" : this.state,
      consecutiveFailures: this.consecutiveFailures,
      trips: this.trips,
      openedAt: open ? this.openedAt : null,
      nextRetryAt: this.state === "open" ? this.nextRetryAt : null,
      windowRequests: w.requests,
      windowFailures: w.failures,
      reason: this.reason,
    };
  }
}

export function cooldownFor(trips: number, cfg: Pick<CircuitSettings, "cooldownMs" | "maxCooldownMs">): number {
  return Math.min(cfg.maxCooldownMs, cfg.cooldownMs * 2 ** Math.max(0, trips - 1));
}
