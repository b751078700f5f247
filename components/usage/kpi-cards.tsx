import type { UsageTotals } from "@/lib/usage/types";
import { change, formatCount, formatMs, formatPercent, formatUsd } from "./format";

type Kpi = { id: string; label: string; value: string; delta: number | null; /** Whether a rise is good news. */ upIsGood: boolean; spark?: React.ReactNode };

export function kpisOf(c: UsageTotals, p: UsageTotals): Omit<Kpi, "spark">[] {
  return [
    { id: "requests", label: "Requests", value: formatCount(c.requests), delta: change(c.requests, p.requests), upIsGood: true },
    { id: "input", label: "Input tokens", value: formatCount(c.inputTokens), delta: change(c.inputTokens, p.inputTokens), upIsGood: true },
    { id: "output", label: "Output tokens", value: formatCount(c.outputTokens), delta: change(c.outputTokens, p.outputTokens), upIsGood: true },
    { id: "cost", label: "Cost", value: formatUsd(c.costUsd), delta: change(c.costUsd, p.costUsd), upIsGood: false },
    { id: "errors", label: "Error rate", value: formatPercent(c.errorRate), delta: change(c.errorRate, p.errorRate), upIsGood: false },
    { id: "p95", label: "p95 latency", value: formatMs(c.p95LatencyMs), delta: change(c.p95LatencyMs, p.p95LatencyMs), upIsGood: false },
  ];
}

export function KpiCards({ items, compareLabel }: { items: Kpi[]; compareLabel: string }) {
  return (
    <ul className="grid gap-3 sm:grid-cols-3 xl:grid-cols-6" aria-label="Key figures">
      {items.map((k) => {
        const good = k.delta === null || k.delta === 0 ? null : (k.delta > 0) === k.upIsGood;
        const tone = good === null ? "text-slate-600 dark:text-slate-400" : good ? "text-emerald-700 dark:text-emerald-400" : "text-red-700 dark:text-red-400";
        return (
          <li key={k.id} data-testid={`kpi-${k.id}`} className="rounded-lg border border-slate-200 bg-white p-3 shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <p className="text-xs font-medium text-slate-600 dark:text-slate-400">{k.label}</p>
            <p className="mt-1 text-2xl font-semibold tabular-nums" data-testid="kpi-value">{k.value}</p>
            <p className={`text-xs tabular-nums ${tone}`}>
              {k.delta === null ? `no data ${compareLabel}` : `${k.delta > 0 ? "▲" : k.delta < 0 ? "▼" : "•"} ${Math.abs(k.delta * 100).toFixed(1)}% ${compareLabel}`}
            </p>
            {k.spark}
          </li>
        );
      })}
    </ul>
  );
}
