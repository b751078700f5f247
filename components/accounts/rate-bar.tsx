import { compact } from "./health-values";

/** Usage against a limit; without a known limit just the number. */
export function RateBar({ label, value, limit, unit }: { label: string; value: number; limit: number | null; unit: string }) {
  if (!limit) {
    return (
      <span className="block text-xs tabular-nums">
        {compact(value)} {unit}
        <span className="text-slate-600 dark:text-slate-400"> · no limit</span>
      </span>
    );
  }
  const pct = Math.min(100, Math.round((100 * value) / limit));
  const tone = pct >= 90 ? "bg-red-600" : pct >= 70 ? "bg-amber-500" : "bg-emerald-600";
  return (
    <span className="block text-xs tabular-nums">
      <span>
        {compact(value)} / {compact(limit)} {unit}
      </span>
      <span
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={limit}
        aria-valuenow={Math.min(value, limit)}
        aria-valuetext={`${pct}% of the limit`}
        className="mt-0.5 block h-1.5 w-24 overflow-hidden rounded bg-slate-200 dark:bg-slate-700"
      >
        <span className={`block h-full ${tone}`} style={{ width: `${pct}%` }} />
      </span>
    </span>
  );
}
