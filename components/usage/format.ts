import type { Bucket } from "@/lib/usage/schemas";

const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat("en");

export const formatCount = (n: number) => (Math.abs(n) >= 10_000 ? compact.format(n) : whole.format(n));

export function formatUsd(n: number): string {
  if (n === 0) return "$0";
  if (Math.abs(n) < 0.01) return `$${n.toFixed(4)}`;
  if (Math.abs(n) < 1000) return `$${n.toFixed(2)}`;
  return `$${compact.format(n)}`;
}

export const formatPercent = (n: number) => `${(n * 100).toFixed(n > 0 && n < 0.01 ? 2 : 1)}%`;

export const formatMs = (n: number | null) => (n === null ? "—" : n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`);

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number) => String(n).padStart(2, "0");

/** Axis and tooltip labels, in UTC like the rest of the console. */
export function formatBucket(t: number, bucket: Bucket, long = false): string {
  const d = new Date(t);
  const day = `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  if (bucket === "day") return day;
  if (bucket === "hour") return long ? `${day} ${time} UTC` : d.getUTCHours() === 0 ? day : time;
  return long ? `${day} ${time} UTC` : time;
}

/**
 * Explicit axis ticks for hourly buckets over more than a day and a half: one
 * per UTC midnight, labelled with the date by formatBucket. Left to the chart
 * otherwise. Every chart of a view then shows the same ticks, and hours from
 * different days never sit side by side looking out of order.
 */
export function axisTicks(times: readonly number[], bucket: Bucket): number[] | undefined {
  if (bucket !== "hour" || times.length < 2 || times[times.length - 1]! - times[0]! <= 36 * 3_600_000) return undefined;
  const midnights = times.filter((t) => t % 86_400_000 === 0);
  // A long range would crowd the axis: keep every nth midnight, at most 10.
  const step = Math.ceil(midnights.length / 10);
  return midnights.filter((_, i) => i % step === 0);
}

/** Relative change; null when there is nothing to compare with. */
export function change(current: number | null, previous: number | null): number | null {
  if (current === null || previous === null || previous === 0) return null;
  return (current - previous) / previous;
}

/** Series colours, readable on white and on slate-900. */
export const SERIES_COLORS = ["#4f46e5", "#0891b2", "#d97706", "#059669", "#db2777", "#7c3aed", "#65a30d", "#dc2626", "#64748b"];
