import { describe, expect, it } from "vitest";
import { Circuit, cooldownFor } from "@/lib/accounts/health/circuit";
import type { CircuitSettings } from "@/lib/accounts/schemas";

const cfg: CircuitSettings = {
  consecutiveFailures: 3, errorRate: 0.5, windowMs: 10_000, minRequests: 10,
  cooldownMs: 1_000, maxCooldownMs: 8_000, rateLimitCooldownMs: 1_000,
};

describe("circuit breaker", () => {
  it("opens after the configured number of consecutive failures, not before", () => {
    const c = new Circuit("m");
    expect(c.failure(0, cfg, "500")).toBe(false);
    expect(c.failure(1, cfg, "500")).toBe(false);
    expect(c.state).toBe("closed");
    expect(c.failure(2, cfg, "500")).toBe(true);
    expect(c.state).toBe("open");
    expect(c.nextRetryAt).toBe(2 + 1_000);
  });

  it("a success in between resets the consecutive count", () => {
    const c = new Circuit("m");
    c.failure(0, cfg, "x");
    c.failure(1, cfg, "x");
    c.success(2, cfg);
    c.failure(3, cfg, "x");
    c.failure(4, cfg, "x");
    expect(c.state).toBe("closed");
  });

  it("opens when the error rate over the window exceeds the threshold with enough requests", () => {
    const c = new Circuit("m");
    // Alternate so there are never 3 failures in a row: 6 failures in 11 calls (55%).
    let t = 0;
    for (let i = 0; i < 5; i++) {
      c.success(t++, cfg);
      c.failure(t++, cfg, "x");
    }
    expect(c.state).toBe("closed"); // 10 calls, 50%: not above the threshold
    c.failure(t++, cfg, "x");
    expect(c.state).toBe("open");
    expect(c.reason).toMatch(/error rate 55%/);
  });

  it("does not trip on the error rate below the minimum number of requests", () => {
    const c = new Circuit("m");
    c.failure(0, cfg, "x");
    c.success(1, cfg);
    c.failure(2, cfg, "x");
    c.success(3, cfg);
    expect(c.state).toBe("closed");
  });

  it("forgets failures that left the window", () => {
    const c = new Circuit("m");
    for (let i = 0; i < 9; i++) {
      if (i % 2) c.success(i, cfg);
      else c.failure(i, cfg, "x");
    }
    const later = 60_000;
    expect(c.window(later, cfg.windowMs)).toEqual({ requests: 0, failures: 0 });
  });

  it("lets exactly one probe through when half-open, and closes on its success", () => {
    const c = new Circuit("m");
    for (let i = 0; i < 3; i++) c.failure(i, cfg, "x");
    expect(c.admit(500)).toBe(false);
    const probe = {};
    expect(c.admit(1_002, probe)).toBe(true);
    expect(c.state).toBe("half_open");
    expect(c.admit(1_003, {})).toBe(false);
    expect(c.admit(1_004, {})).toBe(false);
    c.success(1_100, cfg);
    expect(c.state).toBe("closed");
    expect(c.admit(1_101, {})).toBe(true);
  });

  it("reopens with a doubled cooldown when the probe fails, up to the maximum", () => {
    const c = new Circuit("m");
    for (let i = 0; i < 3; i++) c.failure(i, cfg, "x");
    const cooldowns: number[] = [c.nextRetryAt - c.openedAt];
    for (let k = 0; k < 5; k++) {
      const at = c.nextRetryAt;
      expect(c.admit(at, {})).toBe(true);
      c.failure(at + 1, cfg, "still down");
      expect(c.state).toBe("open");
      cooldowns.push(c.nextRetryAt - c.openedAt);
    }
    expect(cooldowns).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
  });

  it("frees the probe slot when the probe ends without an outcome", () => {
    const c = new Circuit("m");
    for (let i = 0; i < 3; i++) c.failure(i, cfg, "x");
    const probe = {};
    c.admit(2_000, probe);
    expect(c.available(2_001)).toBe(false);
    c.releaseProbe({});
    expect(c.available(2_001)).toBe(false);
    c.releaseProbe(probe);
    expect(c.available(2_001)).toBe(true);
  });

  it("starts the cooldown from the base again after a long calm stretch", () => {
    const c = new Circuit("m");
    for (let i = 0; i < 3; i++) c.failure(i, cfg, "x");
    c.admit(c.nextRetryAt, {});
    c.failure(c.nextRetryAt + 1, cfg, "x"); // second trip: 2 s
    c.admit(c.nextRetryAt, {});
    c.success(c.nextRetryAt + 1, cfg);
    const calm = c.closedAt + 3 * cfg.maxCooldownMs;
    for (let i = 0; i < 3; i++) c.failure(calm + i, cfg, "x");
    expect(c.nextRetryAt - c.openedAt).toBe(1_000);
  });

  it("computes exponential cooldowns", () => {
    expect([1, 2, 3, 4, 10].map((t) => cooldownFor(t, { cooldownMs: 500, maxCooldownMs: 3_000 }))).toEqual([500, 1_000, 2_000, 3_000, 3_000]);
  });
});
