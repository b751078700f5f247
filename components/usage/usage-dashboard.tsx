"use client";
import { EmptyState } from "@/components/ui/card";
import { ALL_WORKSPACES } from "@/lib/usage/schemas";
import type { UsageFilterOptions, WorkspaceOptions } from "@/lib/usage/types";
import { CostChart, LatencyChart, RequestsChart, TokensChart } from "./charts";
import { FiltersBar } from "./filters-bar";
import { formatBucket } from "./format";
import { KpiCards, kpisOf } from "./kpi-cards";
import { TopTables, type TopFilter } from "./top-tables";
import { useUsageDashboard } from "./use-usage-dashboard";
import { useUsageView } from "./use-usage-view";

function Skeleton() {
  return (
    <div aria-hidden className="animate-pulse space-y-4">
      <div className="grid gap-3 sm:grid-cols-3 xl:grid-cols-6">
        {Array.from({ length: 6 }, (_, i) => <div key={i} className="h-24 rounded-lg bg-slate-200 dark:bg-slate-800" />)}
      </div>
      <div className="grid gap-4 lg:grid-cols-2">
        {Array.from({ length: 4 }, (_, i) => <div key={i} className="h-80 rounded-lg bg-slate-200 dark:bg-slate-800" />)}
      </div>
    </div>
  );
}

/** `workspaces` is set for instance admins only: the picker of one workspace or all of them. */
export function UsageDashboard({ options, workspaces }: { options: UsageFilterOptions; workspaces?: WorkspaceOptions }) {
  const { view, search, setView } = useUsageView();
  const { data, error, isPending, isFetching } = useUsageDashboard(search);
  const onFilter = (name: TopFilter, value: string) =>
    setView(name === "workspace" ? { ...view, workspace: value } : { ...view, filters: { ...view.filters, [name]: value } });
  const exportQuery = search ? `?${search}` : "";

  return (
    <div aria-busy={isFetching} data-testid="usage-dashboard" data-state={isPending ? "loading" : error ? "error" : data && data.current.requests === 0 ? "empty" : "ready"}>
      <FiltersBar view={view} options={options} workspaces={workspaces} onChange={setView} />
      <div className="mb-4 flex flex-wrap items-center justify-between gap-2 text-sm">
        <p className="text-slate-600 dark:text-slate-400" aria-live="polite">
          {data
            ? `${formatBucket(Date.parse(data.window.from), "minute", true)} – ${formatBucket(Date.parse(data.window.to), "minute", true)}, per ${data.window.bucket}${isFetching ? " · updating…" : ""}`
            : "Loading usage…"}
        </p>
        <div className="flex gap-3">
          <a className="text-indigo-700 underline dark:text-indigo-300" href={`/api/admin/usage/export/aggregate${exportQuery}`} download>
            Export aggregate (CSV)
          </a>
          <a className="text-indigo-700 underline dark:text-indigo-300" href={`/api/admin/usage/export/events${exportQuery}`} download>
            Export raw events (CSV)
          </a>
        </div>
      </div>
      {error && (
        <p role="alert" className="mb-4 rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800 dark:border-red-700 dark:bg-red-950 dark:text-red-200">
          {error.message}
        </p>
      )}
      {isPending ? (
        <Skeleton />
      ) : data && data.current.requests === 0 && data.previous.requests === 0 ? (
        <EmptyState title="No usage in this range">
          Nothing was recorded for this range and these filters. Widen the range, clear the filters, or send a request through the gateway.
        </EmptyState>
      ) : data ? (
        <>
          <KpiCards items={kpisOf(data.current, data.previous)} compareLabel="vs previous period" />
          <div className="mt-6 grid gap-4 lg:grid-cols-2">
            <TokensChart points={data.stacked.points} keys={data.stacked.keys} bucket={data.window.bucket} />
            <CostChart points={data.points} bucket={data.window.bucket} />
            <RequestsChart points={data.points} bucket={data.window.bucket} />
            <LatencyChart points={data.points} bucket={data.window.bucket} exact={data.latencySource === "exact"} />
          </div>
          <TopTables
            onFilter={onFilter}
            sections={[
              { title: "Models", rows: data.top.models, filter: "model" },
              { title: "API keys", rows: data.top.keys, filter: "key" },
              { title: "Prompts", rows: data.top.prompts },
              { title: "Accounts", rows: data.top.accounts, filter: "account" },
              ...(view.workspace === ALL_WORKSPACES ? [{ title: "Workspaces", rows: data.top.workspaces, filter: "workspace" as const }] : []),
            ]}
          />
        </>
      ) : null}
    </div>
  );
}
