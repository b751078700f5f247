"use client";
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { ExperimentResults } from "@/lib/experiments/schemas";
import { metricValue, VARIANT_COLORS } from "./format";

const AXIS = { fontSize: 12, fill: "currentColor" } as const;

function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(5, 16).replace("T", " ");
}

/** The cumulative primary metric per variant; each phase restarts its own lines (phases are never pooled). */
export function CumulativeChart({ results }: { results: ExperimentResults }) {
  const { chart, primary } = results;
  const keys = chart.variants.flatMap((v) => results.experiment.phases.map((p) => ({ variant: v, phase: p.number, key: `${v}·${p.number}` })));
  const data = chart.points.map((p) => {
    const row: Record<string, number | null> = { ts: Date.parse(p.t) };
    for (const k of keys) row[k.key] = p.phase === k.phase && typeof p[k.variant] === "number" ? (p[k.variant] as number) : null;
    return row;
  });
  const used = keys.filter((k) => data.some((d) => d[k.key] !== null));
  const label = primary.kind === "binary" ? `${primary.metric} rate` : `mean ${primary.metric}`;
  return (
    <figure
      aria-labelledby="cumulative-title"
      aria-describedby="cumulative-desc"
      data-testid="chart-cumulative"
      data-points={data.length}
      className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900"
    >
      <h2 id="cumulative-title" className="text-base font-semibold">Cumulative {label} over time</h2>
      <p id="cumulative-desc" className="mb-2 text-xs text-slate-600 dark:text-slate-400">
        Each point is the metric over all rated completions so far in that phase. Dashed lines mark phase starts; a new phase starts its lines afresh.
      </p>
      <div className="text-slate-600 dark:text-slate-400" style={{ height: 280 }}>
        {data.length === 0 ? (
          <p className="pt-16 text-center text-sm">No {primary.metric} feedback yet.</p>
        ) : (
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={data} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" strokeOpacity={0.3} />
              <XAxis dataKey="ts" type="number" scale="time" domain={["dataMin", "dataMax"]} tickFormatter={formatTime} tick={AXIS} minTickGap={32} />
              <YAxis tick={AXIS} width={56} tickFormatter={(v: number) => metricValue(v, primary.kind)} domain={["auto", "auto"]} />
              <Tooltip
                labelFormatter={(t) => formatTime(Number(t))}
                formatter={(v) => metricValue(Number(v), primary.kind)}
                contentStyle={{ fontSize: 12, borderRadius: 6 }}
              />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              {chart.phaseStarts.map((p) => (
                <ReferenceLine key={p.number} x={Date.parse(p.t)} stroke="currentColor" strokeDasharray="4 4" label={{ value: `phase ${p.number}`, position: "insideTopLeft", fontSize: 11, fill: "currentColor" }} />
              ))}
              {used.map((k) => (
                <Line
                  key={k.key}
                  dataKey={k.key}
                  name={results.experiment.phases.length > 1 ? `${k.variant} (phase ${k.phase})` : k.variant}
                  stroke={VARIANT_COLORS[chart.variants.indexOf(k.variant) % VARIANT_COLORS.length]}
                  strokeWidth={2}
                  strokeDasharray={k.phase === results.phase.number ? undefined : "2 3"}
                  dot={false}
                  connectNulls={false}
                  isAnimationActive={false}
                />
              ))}
            </LineChart>
          </ResponsiveContainer>
        )}
      </div>
    </figure>
  );
}
