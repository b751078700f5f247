import "server-only";
import { circuitConfig } from "../routing-settings";
import type { CircuitView } from "./circuit";
import { ACCOUNT_WIDE, modelStats, runtime, type AccountRuntime, type ErrorInfo, type RateState } from "./state";

// How this instance's runtime state looks from outside the request path: the
// status the snapshot writer stores and the console combines (worst wins, by
// STATUS_RANK), and the way back in, seeding a new instance from the
// cluster's snapshots. Nothing here runs per request.

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
