"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { Badge } from "@/components/ui/badge";
import { fetchJson } from "@/components/ui/fetch-json";
import { Table, Td, Th } from "@/components/ui/table";
import { HealthActions } from "./health-actions";
import { circuitLabel, ms, percent, relative, statusLabel, statusTone, type AccountHealth, type HealthReport } from "./health-values";
import { RateBar } from "./rate-bar";
import { HealthSparkline } from "./sparkline";

const POLL_MS = 5_000;

export function useAccountHealth(initial: HealthReport) {
  return useQuery({
    queryKey: ["account-health"],
    queryFn: ({ signal }) => fetchJson<HealthReport>("/api/console/accounts/health", { signal }),
    initialData: initial,
    refetchInterval: POLL_MS,
    refetchIntervalInBackground: false,
  });
}

function Windows({ a }: { a: AccountHealth }) {
  return (
    <dl className="grid grid-cols-[auto_auto_auto] gap-x-2 text-xs tabular-nums">
      {(["5m", "1h", "24h"] as const).map((w) => (
        <div key={w} className="contents">
          <dt className="text-slate-600 dark:text-slate-400">{w}</dt>
          <dd>{a.windows[w].requests} req</dd>
          <dd className={a.windows[w].errors ? "text-red-700 dark:text-red-400" : ""}>{percent(a.windows[w].errorRate)} err</dd>
        </div>
      ))}
    </dl>
  );
}

function Circuit({ a, now }: { a: AccountHealth; now: number }) {
  const c = a.circuit;
  if (!c || c.state === "closed") {
    return (
      <span className="text-xs text-slate-600 dark:text-slate-400">
        circuit closed{a.cooldownUntil && <span className="block">cool-down ends {relative(a.cooldownUntil, now)}</span>}
      </span>
    );
  }
  return (
    <span className="text-xs">
      <span className="font-medium text-red-700 dark:text-red-400">circuit {circuitLabel[c.state]}</span>
      <span className="block text-slate-600 dark:text-slate-400">
        {c.nextRetryAt ? `next retry ${relative(c.nextRetryAt, now)}` : "probe due"} · trip {c.trips}
      </span>
    </span>
  );
}

export function AccountHealthTable({ initial, canEdit }: { initial: HealthReport; canEdit: boolean }) {
  const { data, isFetching, error } = useAccountHealth(initial);
  // Relative times count from when the report was made, not from the render:
  // the server render and the hydration must print the same text, or React
  // discards the page's markup (a hydration mismatch).
  const now = Date.parse(data.generatedAt);
  return (
    <section aria-labelledby="health-heading" className="mb-8">
      <div className="mb-2 flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="health-heading" className="text-lg font-semibold">
          Health
        </h2>
        <p className="text-xs text-slate-600 dark:text-slate-400" aria-live="polite">
          {data.instances.length} instance{data.instances.length === 1 ? "" : "s"} reporting · strategy {data.strategy.replace("_", " ")} · updated{" "}
          {new Date(data.generatedAt).toISOString().slice(11, 19)} UTC{isFetching ? " · refreshing" : ""}
          {error && <span className="text-red-700 dark:text-red-400"> · refresh failed: {error.message}</span>}
        </p>
      </div>
      <Table caption="Account health">
        <thead className="bg-slate-50 dark:bg-slate-800/50">
          <tr>
            <Th>Account</Th>
            <Th>Status / circuit</Th>
            <Th>Requests / errors</Th>
            <Th>Latency</Th>
            <Th>Rate vs limits</Th>
            <Th>24 h</Th>
            <Th>Last error</Th>
            {canEdit && <Th className="text-right">Actions</Th>}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {data.accounts.map((a) => (
            <tr key={a.id} data-testid={`health-row-${a.name}`}>
              <Td>
                <Link href={`/accounts/${a.id}`} className="font-medium text-indigo-700 underline-offset-2 hover:underline dark:text-indigo-300">
                  {a.name}
                </Link>
                <span className="block text-xs text-slate-600 dark:text-slate-400">
                  p{a.priority} · w{a.weight} · {a.inFlight} in flight
                </span>
              </Td>
              <Td>
                <span data-testid="health-status">
                  <Badge tone={statusTone[a.status]}>{statusLabel[a.status]}</Badge>
                </span>
                <span className="mt-1 block">
                  <Circuit a={a} now={now} />
                </span>
                {a.reason && (
                  <span className="block max-w-44 truncate text-xs text-slate-600 dark:text-slate-400" title={a.reason}>
                    {a.reason}
                  </span>
                )}
              </Td>
              <Td>
                <Windows a={a} />
              </Td>
              <Td className="text-xs tabular-nums">
                <span className="block">p50 {ms(a.latency.p50)} · p95 {ms(a.latency.p95)}</span>
                <span className="block text-slate-600 dark:text-slate-400">TTFT p50 {ms(a.latency.ttftP50)}</span>
              </Td>
              <Td>
                <RateBar label={`Requests per minute for ${a.name}`} value={a.rate.rpm} limit={a.rate.rpmLimit} unit="RPM" />
                <RateBar label={`Tokens per minute for ${a.name}`} value={a.rate.tpm} limit={a.rate.tpmLimit} unit="TPM" />
              </Td>
              <Td>
                <HealthSparkline points={a.sparkline} label={`${a.name} latency and errors`} />
              </Td>
              <td className="max-w-44 px-3 py-2 align-middle text-xs">
                {a.lastError ? (
                  <>
                    <span className="block truncate font-mono" title={a.lastError.message}>
                      {a.lastError.code}
                    </span>
                    <span className="block truncate text-slate-600 dark:text-slate-400" title={a.lastError.message}>
                      {relative(a.lastError.at, now)} · {a.lastError.message}
                    </span>
                  </>
                ) : (
                  <span className="text-slate-600 dark:text-slate-400">none</span>
                )}
              </td>
              {canEdit && (
                <td className="px-3 py-2 align-middle">
                  <HealthActions account={a} />
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </Table>
    </section>
  );
}
