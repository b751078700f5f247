import { Badge } from "@/components/ui/badge";
import { formatDateTime } from "@/components/ui/format";
import { limitFields, type LimitStatus } from "@/lib/quota/schemas";
import { formatAmount, level } from "./quota-values";

const barTone = { ok: "bg-indigo-600", near: "bg-amber-500", over: "bg-red-700" } as const;

/** One limit as a progress bar: used (solid) and reserved by calls in flight, against the limit. */
export function LimitBar({ status: l, label }: { status: LimitStatus; label?: string }) {
  const lvl = level(l);
  const name = label ?? limitFields.find((f) => f.name === l.limit)?.label ?? l.limit;
  const pct = l.max > 0 ? Math.min(100, ((l.used + l.reserved) / l.max) * 100) : l.used + l.reserved > 0 ? 100 : 0;
  const usedPct = l.max > 0 ? Math.min(100, (l.used / l.max) * 100) : pct;
  const text = `${formatAmount(l.metric, l.used)}${l.reserved ? ` + ${formatAmount(l.metric, l.reserved)} in flight` : ""} of ${formatAmount(l.metric, l.max)}`;
  // At the rate seen so far in this window; only worth showing for day and month budgets.
  const projected = l.period !== "minute" && l.used > 0 ? l.projected : null;
  const projectedPct = projected !== null && l.max > 0 ? Math.min(100, (projected / l.max) * 100) : 0;
  return (
    <div className="min-w-56" data-level={lvl}>
      <div className="mb-1 flex items-center justify-between gap-2 text-xs">
        <span className="font-medium">{name}</span>
        <span className="text-slate-700 dark:text-slate-300">
          {text}
          {lvl !== "ok" && (
            <span className="ml-1">
              <Badge tone={lvl === "over" ? "red" : "amber"}>{lvl === "over" ? "at limit" : "near limit"}</Badge>
            </span>
          )}
        </span>
      </div>
      <div
        role="progressbar"
        aria-label={`${name}: ${text}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(pct)}
        title={`Window resets ${formatDateTime(l.resetsAt)}`}
        className="relative h-2 overflow-hidden rounded bg-slate-200 dark:bg-slate-700"
      >
        <div className={`absolute inset-y-0 left-0 opacity-40 ${barTone[lvl]}`} style={{ width: `${pct}%` }} />
        <div className={`absolute inset-y-0 left-0 ${barTone[lvl]}`} style={{ width: `${usedPct}%` }} />
        {projected !== null && projectedPct > usedPct && (
          <div className="absolute inset-y-0 border-r-2 border-dashed border-slate-500" style={{ left: 0, width: `${projectedPct}%` }} aria-hidden />
        )}
      </div>
      {projected !== null && (
        <p className={`mt-1 text-xs ${projected > l.max ? "text-red-700 dark:text-red-400" : "text-slate-600 dark:text-slate-400"}`} data-testid="projected">
          Projected by {formatDateTime(l.resetsAt)}: {formatAmount(l.metric, projected)}
          {projected > l.max ? ` (over the limit of ${formatAmount(l.metric, l.max)})` : ""}
        </p>
      )}
    </div>
  );
}
