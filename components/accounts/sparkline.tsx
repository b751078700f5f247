"use client";
import { Bar, ComposedChart, Line, ResponsiveContainer, YAxis } from "recharts";
import type { AccountHealth } from "./health-values";

/** 24 h of mean latency (line) and errors (bars), 30-minute bins. Decorative: the numbers are in the row. */
export function HealthSparkline({ points, label }: { points: AccountHealth["sparkline"]; label: string }) {
  const total = points.reduce((t, p) => t + p.requests, 0);
  const errors = points.reduce((t, p) => t + p.errors, 0);
  return (
    <div role="img" aria-label={`${label}: ${total} requests and ${errors} errors over 24 hours`} className="h-8 w-32">
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={points} margin={{ top: 2, right: 0, bottom: 0, left: 0 }} accessibilityLayer={false}>
          <YAxis yAxisId="lat" hide domain={[0, "dataMax"]} />
          <YAxis yAxisId="err" hide domain={[0, "dataMax"]} />
          <Bar yAxisId="err" dataKey="errors" fill="#dc2626" isAnimationActive={false} />
          <Line yAxisId="lat" dataKey="latencyMs" stroke="#4f46e5" strokeWidth={1.5} dot={false} connectNulls isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
