"use client";
import {
  Area, AreaChart, Bar, BarChart, CartesianGrid, ComposedChart, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis,
} from "recharts";
import type { Bucket } from "@/lib/usage/schemas";
import type { SeriesKey, StackedPoint, UsagePoint } from "@/lib/usage/types";
import { axisTicks, formatBucket, formatCount, formatMs, formatUsd, SERIES_COLORS } from "./format";

const AXIS = { fontSize: 12, fill: "currentColor" } as const;
const HEIGHT = 260;

export function ChartFrame({ id, title, description, nonEmpty, children }: { id: string; title: string; description: string; nonEmpty: number; children: React.ReactNode }) {
  return (
    <figure
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-desc`}
      data-testid={`chart-${id}`}
      data-nonempty={nonEmpty}
      className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900"
    >
      <h2 id={`${id}-title`} className="text-base font-semibold">{title}</h2>
      <p id={`${id}-desc`} className="mb-2 text-xs text-slate-600 dark:text-slate-400">{description}</p>
      <div className="text-slate-600 dark:text-slate-400" style={{ height: HEIGHT }}>
        {children}
      </div>
    </figure>
  );
}

const tooltipStyle = { contentStyle: { fontSize: 12, borderRadius: 6 }, wrapperStyle: { outline: "none" } };

export function TokensChart({ points, keys, bucket }: { points: StackedPoint[]; keys: SeriesKey[]; bucket: Bucket }) {
  const nonEmpty = points.filter((p) => keys.some((k) => (p[k.id] ?? 0) > 0)).length;
  const bars = points.length <= 62;
  const Chart = bars ? BarChart : AreaChart;
  return (
    <ChartFrame id="tokens" title="Tokens" description="Input + output tokens per bucket, stacked by the chosen dimension." nonEmpty={nonEmpty}>
      <ResponsiveContainer width="100%" height="100%">
        <Chart data={points} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.3} />
          <XAxis dataKey="t" ticks={axisTicks(points.map((p) => p.t), bucket)} tickFormatter={(t: number) => formatBucket(t, bucket)} tick={AXIS} minTickGap={24} />
          <YAxis tickFormatter={formatCount} tick={AXIS} width={56} />
          <Tooltip labelFormatter={(t) => formatBucket(Number(t), bucket, true)} formatter={(v) => formatCount(Number(v))} {...tooltipStyle} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {keys.map((k, i) =>
            bars ? (
              <Bar key={k.id} dataKey={k.id} name={k.label} stackId="tokens" fill={SERIES_COLORS[i % SERIES_COLORS.length]} isAnimationActive={false} />
            ) : (
              <Area key={k.id} dataKey={k.id} name={k.label} stackId="tokens" type="linear" stroke={SERIES_COLORS[i % SERIES_COLORS.length]} fill={SERIES_COLORS[i % SERIES_COLORS.length]} fillOpacity={0.5} isAnimationActive={false} />
            ),
          )}
        </Chart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}

export function CostChart({ points, bucket }: { points: UsagePoint[]; bucket: Bucket }) {
  return (
    <ChartFrame id="cost" title="Cost" description="USD per bucket, priced when each call was recorded." nonEmpty={points.filter((p) => p.costUsd > 0).length}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={points} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.3} />
          <XAxis dataKey="t" ticks={axisTicks(points.map((p) => p.t), bucket)} tickFormatter={(t: number) => formatBucket(t, bucket)} tick={AXIS} minTickGap={24} />
          <YAxis tickFormatter={(v: number) => formatUsd(v)} tick={AXIS} width={64} />
          <Tooltip labelFormatter={(t) => formatBucket(Number(t), bucket, true)} formatter={(v) => formatUsd(Number(v))} {...tooltipStyle} />
          <Bar dataKey="costUsd" name="Cost" fill={SERIES_COLORS[2]} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}

export function RequestsChart({ points, bucket }: { points: UsagePoint[]; bucket: Bucket }) {
  return (
    <ChartFrame id="requests" title="Requests and errors" description="Calls per bucket; errors are every status other than ok." nonEmpty={points.filter((p) => p.requests > 0).length}>
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={points} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.3} />
          <XAxis dataKey="t" ticks={axisTicks(points.map((p) => p.t), bucket)} tickFormatter={(t: number) => formatBucket(t, bucket)} tick={AXIS} minTickGap={24} />
          <YAxis yAxisId="r" tickFormatter={formatCount} tick={AXIS} width={56} />
          <YAxis yAxisId="e" orientation="right" tickFormatter={formatCount} tick={AXIS} width={48} />
          <Tooltip labelFormatter={(t) => formatBucket(Number(t), bucket, true)} formatter={(v) => formatCount(Number(v))} {...tooltipStyle} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar yAxisId="r" dataKey="requests" name="Requests" fill={SERIES_COLORS[0]} isAnimationActive={false} />
          <Line yAxisId="e" dataKey="errors" name="Errors" stroke={SERIES_COLORS[7]} dot={false} strokeWidth={2} type="linear" isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}

export function LatencyChart({ points, bucket, exact }: { points: UsagePoint[]; bucket: Bucket; exact: boolean }) {
  return (
    <ChartFrame
      id="latency"
      title="Latency"
      description={`p50 and p95 of successful calls${exact ? " (exact)" : " (from the rollups' histograms, within one bucket of ≈26%)"}.`}
      nonEmpty={points.filter((p) => p.p95LatencyMs !== null).length}
    >
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={points} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.3} />
          <XAxis dataKey="t" ticks={axisTicks(points.map((p) => p.t), bucket)} tickFormatter={(t: number) => formatBucket(t, bucket)} tick={AXIS} minTickGap={24} />
          <YAxis tickFormatter={(v: number) => (v >= 1000 ? `${(v / 1000).toFixed(1)}s` : `${v}ms`)} tick={AXIS} width={56} />
          <Tooltip labelFormatter={(t) => formatBucket(Number(t), bucket, true)} formatter={(v) => formatMs(v === null || v === undefined ? null : Number(v))} {...tooltipStyle} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Line dataKey="p50LatencyMs" name="p50" stroke={SERIES_COLORS[1]} dot={false} strokeWidth={2} type="linear" connectNulls isAnimationActive={false} />
          <Line dataKey="p95LatencyMs" name="p95" stroke={SERIES_COLORS[4]} dot={false} strokeWidth={2} type="linear" connectNulls isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}

/** A small trend line for the Overview's KPI cards. */
export function Sparkline({ values, label, color = SERIES_COLORS[0] }: { values: number[]; label: string; color?: string }) {
  const data = values.map((v, i) => ({ i, v }));
  return (
    <div role="img" aria-label={label} data-testid="sparkline" data-nonempty={values.filter((v) => v > 0).length} className="h-10 w-full">
      <ResponsiveContainer width="100%" height="100%">
        <AreaChart data={data} margin={{ top: 2, right: 0, bottom: 2, left: 0 }} accessibilityLayer={false}>
          <Area dataKey="v" type="linear" stroke={color} fill={color} fillOpacity={0.2} strokeWidth={1.5} isAnimationActive={false} />
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}
