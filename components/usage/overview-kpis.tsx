"use client";
import type { UsageDashboard } from "@/lib/usage/types";
import { Sparkline } from "./charts";
import { SERIES_COLORS } from "./format";
import { KpiCards, kpisOf } from "./kpi-cards";

/** The last 24 hours: each KPI with its change vs the 24 hours before and an hourly sparkline. */
export function OverviewKpis({ traffic }: { traffic: UsageDashboard }) {
  const p = traffic.points;
  const series: Record<string, number[]> = {
    requests: p.map((x) => x.requests),
    input: p.map((x) => x.inputTokens),
    output: p.map((x) => x.outputTokens),
    cost: p.map((x) => x.costUsd),
    errors: p.map((x) => (x.requests ? x.errors / x.requests : 0)),
    p95: p.map((x) => x.p95LatencyMs ?? 0),
  };
  const items = kpisOf(traffic.current, traffic.previous).map((k, i) => ({
    ...k,
    spark: <Sparkline values={series[k.id] ?? []} label={`${k.label}, hourly over the last 24 hours`} color={SERIES_COLORS[i % SERIES_COLORS.length]} />,
  }));
  return <KpiCards items={items} compareLabel="vs previous 24 h" />;
}
