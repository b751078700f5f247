import { describe, expect, it } from "vitest";
import { SLO_DEFAULTS, sloReport, sloTargets } from "@/lib/observability/slo";

const targets = { availabilityTarget: 0.995, latencyP95Ms: 2500 };
const none = { valid: 0, bad: 0, ok: 0, slow: 0 };

describe("SLO arithmetic", () => {
  it("reads targets from the environment, with defaults, and names a bad variable", () => {
    expect(sloTargets({})).toEqual({ availabilityTarget: SLO_DEFAULTS.availabilityTarget, latencyP95Ms: SLO_DEFAULTS.latencyP95Ms });
    expect(sloTargets({ SLO_AVAILABILITY_TARGET: "0.999", SLO_LATENCY_P95_MS: "1000" })).toEqual({ availabilityTarget: 0.999, latencyP95Ms: 1000 });
    expect(() => sloTargets({ SLO_AVAILABILITY_TARGET: "99.9" })).toThrow(/SLO_AVAILABILITY_TARGET/);
    expect(() => sloTargets({ SLO_LATENCY_P95_MS: "-5" })).toThrow(/SLO_LATENCY_P95_MS/);
  });

  it("reports no data, not 100 %, without traffic", () => {
    const r = sloReport(none, none, null, targets);
    expect(r.availability).toMatchObject({ achieved: null, budgetRemaining: null, burnRate1h: null, state: "no_data" });
    expect(r.latency.state).toBe("no_data");
  });

  it("spends the error budget in proportion: 0.25 % errors against a 0.5 % budget leaves half", () => {
    const r = sloReport({ valid: 10_000, bad: 25, ok: 9_975, slow: 0 }, none, 800, targets);
    expect(r.availability.achieved).toBeCloseTo(0.9975, 10);
    expect(r.availability.budgetRemaining).toBeCloseTo(0.5, 10);
    expect(r.availability.state).toBe("met");
  });

  it("computes the burn rate over the last hour: 7.2 % errors against a 0.5 % budget is 14.4 and at risk", () => {
    const r = sloReport({ valid: 100_000, bad: 100, ok: 99_900, slow: 0 }, { valid: 1000, bad: 72, ok: 928, slow: 0 }, 500, targets);
    expect(r.availability.burnRate1h).toBeCloseTo(14.4, 10);
    expect(r.availability.state).toBe("at_risk");
  });

  it("treats p95 latency as a 5 % budget of slow successful calls", () => {
    const r = sloReport({ valid: 1000, bad: 0, ok: 1000, slow: 100 }, { valid: 100, bad: 0, ok: 100, slow: 5 }, 3100, targets);
    expect(r.latency).toMatchObject({ target: 0.95, p95Ms: 3100, thresholdMs: 2500, state: "violated" });
    expect(r.latency.achieved).toBeCloseTo(0.9, 10);
    expect(r.latency.budgetRemaining).toBeCloseTo(-1, 10);
    expect(r.latency.burnRate1h).toBeCloseTo(1, 10);
  });
});
