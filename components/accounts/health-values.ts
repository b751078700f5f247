// Labels, tones and formatting for the account health views. Pure and client-safe.
import type { AccountHealth } from "@/lib/accounts/types";

export type { AccountHealth, HealthReport, AccountHealthDetail } from "@/lib/accounts/types";

export const statusLabel: Record<AccountHealth["status"], string> = {
  healthy: "healthy",
  degraded: "degraded",
  circuit_open: "circuit open",
  cooling_down: "cooling down",
  disabled: "disabled",
  draining: "draining",
};

export const statusTone = {
  healthy: "green",
  degraded: "amber",
  circuit_open: "red",
  cooling_down: "blue",
  disabled: "gray",
  draining: "indigo",
} as const satisfies Record<AccountHealth["status"], string>;

export const circuitLabel = { closed: "closed", open: "open", half_open: "half-open" } as const;

export function percent(rate: number | null): string {
  if (rate === null) return "—";
  if (rate === 0) return "0%";
  return rate < 0.001 ? "<0.1%" : `${(rate * 100).toFixed(rate < 0.1 ? 1 : 0)}%`;
}

export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined) return "—";
  return v >= 10_000 ? `${(v / 1000).toFixed(0)} s` : v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;
}

export function compact(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e4 ? `${Math.round(n / 1e3)}k` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n);
}

/** "in 12 s", "3 min ago" relative to now. */
export function relative(iso: string | null, now = Date.now()): string {
  if (!iso) return "—";
  const d = new Date(iso).getTime() - now;
  const a = Math.abs(d);
  const v = a < 60_000 ? `${Math.max(1, Math.round(a / 1000))} s` : a < 3_600_000 ? `${Math.round(a / 60_000)} min` : a < 86_400_000 ? `${Math.round(a / 3_600_000)} h` : `${Math.round(a / 86_400_000)} d`;
  return d >= 0 ? `in ${v}` : `${v} ago`;
}
