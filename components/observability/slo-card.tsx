import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { sloStatus, type Objective, type SloStatus } from "@/lib/observability";

// Server component: the 30-day SLOs, computed from the usage events with the
// alert rules' definitions (lib/observability/slo.ts, deploy/prometheus/alerts.yml).

const pct = (v: number | null, digits = 2) => (v === null ? "—" : `${(v * 100).toFixed(digits)} %`);
const burn = (v: number | null) => (v === null ? "no traffic" : `${v.toFixed(v < 10 ? 2 : 1)}×`);

const STATES: Record<Objective["state"], { tone: "gray" | "green" | "amber" | "red"; label: string }> = {
  no_data: { tone: "gray", label: "No data" },
  met: { tone: "green", label: "Met" },
  at_risk: { tone: "amber", label: "At risk" },
  violated: { tone: "red", label: "Violated" },
};

function Row({ name, measured, target, o }: { name: string; measured: string; target: string; o: Objective }) {
  const s = STATES[o.state];
  return (
    <tr className="border-t border-slate-200 dark:border-slate-800">
      <th scope="row" className="py-2 pr-3 text-left font-medium">{name}</th>
      <td className="py-2 pr-3 tabular-nums">{measured}</td>
      <td className="py-2 pr-3 tabular-nums">{target}</td>
      <td className="py-2 pr-3 tabular-nums">{o.budgetRemaining === null ? "—" : pct(Math.max(o.budgetRemaining, -9.99), 1)}</td>
      <td className="py-2 pr-3 tabular-nums">{burn(o.burnRate1h)}</td>
      <td className="py-2"><Badge tone={s.tone}>{s.label}</Badge></td>
    </tr>
  );
}

export function SloTable({ s }: { s: SloStatus }) {
  return (
    <table className="w-full text-sm">
      <caption className="sr-only">Service level objectives over the last {s.windowDays} days</caption>
      <thead>
        <tr className="text-left text-slate-600 dark:text-slate-400">
          <th scope="col" className="pb-1 pr-3 font-medium">Objective</th>
          <th scope="col" className="pb-1 pr-3 font-medium">Measured</th>
          <th scope="col" className="pb-1 pr-3 font-medium">Target</th>
          <th scope="col" className="pb-1 pr-3 font-medium">Error budget left</th>
          <th scope="col" className="pb-1 pr-3 font-medium">Burn rate (1 h)</th>
          <th scope="col" className="pb-1 font-medium">Status</th>
        </tr>
      </thead>
      <tbody>
        <Row name="Availability" measured={pct(s.availability.achieved, 3)} target={pct(s.targets.availabilityTarget, 2)} o={s.availability} />
        <Row
          name="Latency (p95 to first token)"
          measured={s.latency.p95Ms === null ? "—" : `${s.latency.p95Ms} ms`}
          target={`≤ ${s.latency.thresholdMs} ms`}
          o={s.latency}
        />
      </tbody>
    </table>
  );
}

export async function SloCard() {
  const s = await sloStatus();
  return (
    <Card title={`Service level (${s.windowDays} days)`} className="mt-6">
      <SloTable s={s} />
      <p className="mt-3 text-xs text-slate-600 dark:text-slate-400">
        {s.calls.toLocaleString("en")} gateway calls counted. Availability counts upstream and internal errors against all calls except
        rejected ones; latency counts successful calls slower than the threshold to their first token. A burn rate of 1 spends the budget in
        exactly {s.windowDays} days; the alerts page at 14.4× over an hour and 6× over six hours.
      </p>
    </Card>
  );
}
