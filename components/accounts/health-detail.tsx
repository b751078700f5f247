"use client";
import { useQuery } from "@tanstack/react-query";
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { Badge } from "@/components/ui/badge";
import { Card, PageHeader } from "@/components/ui/card";
import { fetchJson } from "@/components/ui/fetch-json";
import { formatDateTime } from "@/components/ui/format";
import { Table, Td, Th } from "@/components/ui/table";
import { HealthActions } from "./health-actions";
import { circuitLabel, ms, percent, relative, statusLabel, statusTone, type AccountHealthDetail } from "./health-values";
import { RateBar } from "./rate-bar";

function Stat({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <dt className="text-xs text-slate-600 dark:text-slate-400">{label}</dt>
      <dd className="text-sm font-medium tabular-nums">{children}</dd>
    </div>
  );
}

export function AccountHealthDetailView({ initial, canEdit }: { initial: AccountHealthDetail; canEdit: boolean }) {
  const { data } = useQuery({
    queryKey: ["account-health", initial.account.id],
    queryFn: ({ signal }) => fetchJson<AccountHealthDetail>(`/api/console/accounts/${initial.account.id}/health`, { signal }),
    initialData: initial,
    refetchInterval: 5_000,
  });
  const a = data.account;
  const now = Date.parse(data.generatedAt);
  const chart = data.hourly.map((h) => ({ ...h, hour: h.t.slice(11, 16) }));
  return (
    <>
      <PageHeader
        title={a.name}
        description={`${a.provider} · priority ${a.priority} · weight ${a.weight} · active probe ${a.probeMode} · ${a.instances.length} instance(s) reporting`}
        actions={canEdit ? <HealthActions account={a} /> : undefined}
      />
      <Card className="mb-6">
        <dl className="grid grid-cols-2 gap-4 sm:grid-cols-4 lg:grid-cols-6">
          <Stat label="Status">
            <span data-testid="health-status">
              <Badge tone={statusTone[a.status]}>{statusLabel[a.status]}</Badge>
            </span>
            {a.reason && <span className="mt-1 block text-xs font-normal text-slate-600 dark:text-slate-400">{a.reason}</span>}
          </Stat>
          <Stat label="Requests 5 min / 1 h / 24 h">
            {a.windows["5m"].requests} / {a.windows["1h"].requests} / {a.windows["24h"].requests}
          </Stat>
          <Stat label="Error rate 5 min / 1 h / 24 h">
            {percent(a.windows["5m"].errorRate)} / {percent(a.windows["1h"].errorRate)} / {percent(a.windows["24h"].errorRate)}
          </Stat>
          <Stat label="Latency p50 / p95 (1 h)">
            {ms(a.latency.p50)} / {ms(a.latency.p95)}
          </Stat>
          <Stat label="Time to first token p50">{ms(a.latency.ttftP50)}</Stat>
          <Stat label="In flight">{a.inFlight}</Stat>
          <Stat label="Requests per minute">
            <RateBar label="Requests per minute" value={a.rate.rpm} limit={a.rate.rpmLimit} unit="RPM" />
          </Stat>
          <Stat label="Tokens per minute">
            <RateBar label="Tokens per minute" value={a.rate.tpm} limit={a.rate.tpmLimit} unit="TPM" />
          </Stat>
          <Stat label="Cool-down">{a.cooldownUntil ? `ends ${relative(a.cooldownUntil, now)}` : "none"}</Stat>
          <Stat label="Last probe">
            {a.probe.at ? `${a.probe.healthy ? "passed" : "failed"} ${relative(a.probe.at, now)}` : "never"}
          </Stat>
          <Stat label="Last error">{a.lastError ? `${a.lastError.code} ${relative(a.lastError.at, now)}` : "none"}</Stat>
        </dl>
      </Card>

      <Card title="Last 24 hours" className="mb-6">
        <div role="img" aria-label={`Hourly requests, errors and latency for ${a.name} over the last 24 hours`} className="h-56 w-full">
          <ResponsiveContainer width="100%" height="100%">
            <ComposedChart data={chart} margin={{ top: 8, right: 8, bottom: 0, left: 0 }} accessibilityLayer={false}>
              <CartesianGrid strokeDasharray="3 3" stroke="#cbd5e1" />
              <XAxis dataKey="hour" tick={{ fontSize: 11, fill: "#475569" }} />
              <YAxis yAxisId="n" tick={{ fontSize: 11, fill: "#475569" }} allowDecimals={false} />
              <YAxis yAxisId="ms" orientation="right" tick={{ fontSize: 11, fill: "#475569" }} unit=" ms" />
              <Tooltip />
              <Legend />
              <Bar yAxisId="n" dataKey="requests" name="requests" fill="#94a3b8" isAnimationActive={false} />
              <Bar yAxisId="n" dataKey="errors" name="errors" fill="#dc2626" isAnimationActive={false} />
              <Line yAxisId="ms" dataKey="p50" name="p50 latency" stroke="#4f46e5" dot={false} connectNulls isAnimationActive={false} />
              <Line yAxisId="ms" dataKey="p95" name="p95 latency" stroke="#b45309" dot={false} connectNulls isAnimationActive={false} />
            </ComposedChart>
          </ResponsiveContainer>
        </div>
      </Card>

      <h2 className="mb-2 text-lg font-semibold">Circuits</h2>
      <div className="mb-6">
        <Table caption="Circuits by model">
          <thead className="bg-slate-50 dark:bg-slate-800/50">
            <tr>
              <Th>Model</Th>
              <Th>State</Th>
              <Th>Next retry</Th>
              <Th>Trips</Th>
              <Th>Failures in a row</Th>
              <Th>Window</Th>
              <Th>Reason</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {a.circuits.length === 0 && (
              <tr>
                <Td className="text-slate-600 dark:text-slate-400">No calls yet</Td>
              </tr>
            )}
            {a.circuits.map((c) => (
              <tr key={c.model}>
                <Td className="font-mono text-xs">{c.model}</Td>
                <Td>
                  <Badge tone={c.state === "closed" ? "green" : "red"}>{circuitLabel[c.state]}</Badge>
                </Td>
                <Td>{c.nextRetryAt ? relative(c.nextRetryAt, now) : "—"}</Td>
                <Td className="tabular-nums">{c.trips}</Td>
                <Td className="tabular-nums">{c.consecutiveFailures}</Td>
                <Td className="tabular-nums">
                  {c.windowFailures} / {c.windowRequests}
                </Td>
                <td className="max-w-md px-3 py-2 text-xs">{c.reason ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      </div>

      <div className="grid gap-6 lg:grid-cols-2">
        <EventList title="Recent failures" caption="Recent failures" events={data.failures} empty="No failures recorded" />
        <EventList title="History" caption="Circuit, cool-down and probe events" events={data.events} empty="No events yet" />
      </div>
    </>
  );
}

function EventList({ title, caption, events, empty }: { title: string; caption: string; events: AccountHealthDetail["events"]; empty: string }) {
  return (
    <section>
      <h2 className="mb-2 text-lg font-semibold">{title}</h2>
      <Table caption={caption}>
        <thead className="bg-slate-50 dark:bg-slate-800/50">
          <tr>
            <Th>When</Th>
            <Th>Event</Th>
            <Th>Detail</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {events.length === 0 && (
            <tr>
              <Td className="text-slate-600 dark:text-slate-400">{empty}</Td>
            </tr>
          )}
          {events.map((e, i) => (
            <tr key={`${e.at}-${i}`}>
              <Td className="text-xs">{formatDateTime(e.at)}</Td>
              <Td className="text-xs">
                {e.kind.replace(/_/g, " ")}
                {e.model && <span className="block font-mono text-slate-600 dark:text-slate-400">{e.model}</span>}
              </Td>
              <td className="max-w-md break-words px-3 py-2 text-xs">{e.detail ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </Table>
    </section>
  );
}
