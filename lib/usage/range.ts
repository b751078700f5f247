import "server-only";
import { AppError } from "@/lib/core";
import { BUCKET_MAX_SPAN_MS, defaultBucket, PRESET_MS, type Bucket, type UsageView } from "./schemas";

// Turning a view into exact time windows, and a window into the cheapest set
// of sources that cover it exactly: whole days from the daily rollup, whole
// hours from the hourly rollup, and the ragged edges from raw events. Totals are
// therefore exact for any [from, to), not just for aligned ranges.

export type Window = { from: Date; to: Date; bucket: Bucket };
export type Source = "raw" | "hour" | "day";
export type Segment = { source: Source; from: Date; to: Date };

const HOUR = 3_600_000;
const DAY = 86_400_000;

export function resolveWindow(view: UsageView, now: number = Date.now()): Window {
  let from: number;
  let to: number;
  if (view.range === "custom") {
    from = Date.parse(view.from ?? "");
    to = Date.parse(view.to ?? "");
    if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) throw new AppError("validation_error", "A custom range needs from < to", { param: "from" });
  } else {
    to = now;
    from = now - PRESET_MS[view.range];
  }
  const span = to - from;
  const bucket = view.bucket && span <= BUCKET_MAX_SPAN_MS[view.bucket] ? view.bucket : defaultBucket(span);
  return { from: new Date(from), to: new Date(to), bucket };
}

/** The period of the same length just before the window, for "change vs previous". */
export function previousWindow(w: Window): Window {
  const span = w.to.getTime() - w.from.getTime();
  return { from: new Date(w.from.getTime() - span), to: new Date(w.from.getTime()), bucket: w.bucket };
}

const floorTo = (t: number, unit: number) => Math.floor(t / unit) * unit;
const ceilTo = (t: number, unit: number) => Math.ceil(t / unit) * unit;

/**
 * Disjoint segments covering [from, to) exactly. `finest` is the chart bucket:
 * a segment never crosses a bucket boundary it cannot split, so minute buckets
 * read raw events only, hour buckets read hourly rows and raw edges, and day
 * buckets read daily rows, hourly edges and raw edges.
 */
export function segments(from: number, to: number, finest: Bucket): Segment[] {
  const out: Segment[] = [];
  const push = (source: Source, a: number, b: number) => {
    if (b > a) out.push({ source, from: new Date(a), to: new Date(b) });
  };
  const hours = (a: number, b: number) => {
    const h0 = ceilTo(a, HOUR);
    const h1 = floorTo(b, HOUR);
    if (h0 >= h1) return push("raw", a, b);
    push("raw", a, h0);
    push("hour", h0, h1);
    push("raw", h1, b);
  };
  if (to <= from) return out;
  if (finest === "minute") push("raw", from, to);
  else if (finest === "hour") hours(from, to);
  else {
    const d0 = ceilTo(from, DAY);
    const d1 = floorTo(to, DAY);
    if (d0 >= d1) hours(from, to);
    else {
      hours(from, d0);
      push("day", d0, d1);
      hours(d1, to);
    }
  }
  return out;
}

/** Start of every bucket in [from, to), for charts with no gaps. */
export function bucketStarts(w: Window): number[] {
  const unit = w.bucket === "minute" ? 60_000 : w.bucket === "hour" ? HOUR : DAY;
  const out: number[] = [];
  for (let t = floorTo(w.from.getTime(), unit); t < w.to.getTime(); t += unit) out.push(t);
  return out;
}
