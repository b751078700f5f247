"use client";
import { useCallback, useEffect, useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { SelectField } from "@/components/ui/field";
import { Table, Td, Th } from "@/components/ui/table";
import type { RowView, RunAggregates, RunView } from "@/lib/evals";
import { send } from "./send";
import { WordDiff } from "./word-diff";

const statusTone = { queued: "gray", running: "indigo", completed: "green", cancelled: "amber", failed: "red" } as const;
const active = (s: RunView["status"]) => s === "queued" || s === "running";
const fmt = (x: number | null | undefined, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(d));

function eta(s: number | null): string {
  if (s === null) return "–";
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** A run's page: live progress (done, failed, remaining, ETA), aggregates per scorer, and the rows. */
export function RunViewer({ initial }: { initial: { run: RunView; aggregates: RunAggregates } }) {
  const [data, setData] = useState(initial);
  const [rows, setRows] = useState<RowView[]>([]);
  const [status, setStatus] = useState("");
  const [failing, setFailing] = useState("");
  const [error, setError] = useState<string | null>(null);
  const { run, aggregates } = data;

  const load = useCallback(async () => {
    const q = new URLSearchParams({ limit: "500", ...(status ? { status } : {}), ...(failing ? { failing } : {}) });
    const [d, r] = await Promise.all([
      send<{ run: RunView; aggregates: RunAggregates }>("GET", `/api/admin/evaluations/${run.id}`),
      send<{ rows: RowView[] }>("GET", `/api/admin/evaluations/${run.id}/rows?${q}`),
    ]);
    setData(d);
    setRows(r.rows);
  }, [run.id, status, failing]);

  useEffect(() => {
    void load().catch((e: unknown) => setError((e as Error).message));
    if (!active(run.status)) return;
    const t = setInterval(() => void load().catch(() => undefined), 1000);
    return () => clearInterval(t);
  }, [load, run.status]);

  const p = run.progress;
  const pct = (n: number) => `${p.total ? (100 * n) / p.total : 0}%`;
  return (
    <div className="space-y-6">
      <Card title="Progress">
        <div className="mb-2 flex flex-wrap items-center gap-3 text-sm">
          <Badge tone={statusTone[run.status]}>{run.status}</Badge>
          <span data-testid="run-progress">
            {p.done} done · {p.failed} failed · {p.remaining} remaining of {p.total}
          </span>
          <span>ETA {active(run.status) ? eta(p.etaSeconds) : "–"}</span>
          {active(run.status) && (
            <Button size="sm" variant="danger" onClick={() => void send("POST", `/api/admin/evaluations/${run.id}/cancel`).then(load, (e: Error) => setError(e.message))}>
              Cancel run
            </Button>
          )}
        </div>
        <div role="progressbar" aria-label="Rows finished" aria-valuemin={0} aria-valuemax={p.total} aria-valuenow={p.done + p.failed} className="flex h-3 w-full overflow-hidden rounded bg-slate-200 dark:bg-slate-700">
          <div className="bg-green-600" style={{ width: pct(p.done) }} />
          <div className="bg-red-600" style={{ width: pct(p.failed) }} />
        </div>
        {run.error && <p role="alert" className="mt-2 text-sm text-red-700">{run.error}</p>}
        {error && <p role="alert" className="mt-2 text-sm text-red-700">{error}</p>}
      </Card>
      <Card title="Scores">
        <Table caption="Aggregates per scorer, with 95% intervals">
          <thead className="bg-slate-50 dark:bg-slate-800/50">
            <tr><Th>Scorer</Th><Th>Kind</Th><Th>Rows scored</Th><Th>Estimate</Th><Th>95% interval</Th><Th>Pass rate</Th><Th>Errors</Th></tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {aggregates.scorers.map((s) => (
              <tr key={s.key} data-testid={`aggregate-${s.key}`}>
                <Td>{s.key}</Td>
                <Td>{s.kind}</Td>
                <Td>{s.n}</Td>
                <Td>{s.kind === "pass/fail" ? `${fmt(s.estimate.estimate * 100, 1)}%` : fmt(s.estimate.estimate)}</Td>
                <Td>{s.kind === "pass/fail" ? `${fmt(s.estimate.lower * 100, 1)}% – ${fmt(s.estimate.upper * 100, 1)}%` : `${fmt(s.estimate.lower)} – ${fmt(s.estimate.upper)}`}</Td>
                <Td>{s.passRate ? `${fmt(s.passRate.estimate * 100, 1)}%` : "–"}</Td>
                <Td>{s.errors}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
        <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">
          Latency mean {aggregates.latencyMs.mean ?? "–"} ms, p95 {aggregates.latencyMs.p95 ?? "–"} ms · cost ${fmt(aggregates.cost.total, 6)}
        </p>
      </Card>
      <Card title="Rows">
        <div className="mb-3 flex flex-wrap gap-3">
          <SelectField label="Status" value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">All</option>
            <option value="done">Done</option>
            <option value="failed">Failed</option>
            <option value="running">Running</option>
          </SelectField>
          <SelectField label="Failing scorer" value={failing} onChange={(e) => setFailing(e.target.value)}>
            <option value="">Any</option>
            {run.scorers.map((s) => <option key={s.key} value={s.key}>{s.key}</option>)}
          </SelectField>
        </div>
        <Table caption="Each row's output against the expected output">
          <thead className="bg-slate-50 dark:bg-slate-800/50">
            <tr><Th>#</Th><Th>Variables</Th><Th>Output (diff against expected)</Th><Th>Scores</Th><Th>Latency</Th><Th>Cost</Th></tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {rows.map((r) => (
              <tr key={r.index} data-testid={`row-${r.index}`}>
                <Td>{r.index + 1}</Td>
                <Td><code className="text-xs">{JSON.stringify(r.variables)}</code></Td>
                <Td>
                  {r.error ? <span className="text-red-700">{r.error}</span> : r.output === null ? "…" : r.expected !== null ? <WordDiff expected={r.expected} output={r.output} /> : r.output}
                </Td>
                <Td>
                  <ul className="space-y-1 text-xs">
                    {Object.entries(r.scores).map(([k, s]) => (
                      <li key={k} title={s.reasoning ?? s.error ?? ""}>
                        {k}: {s.score === null ? <span className="text-amber-800">{s.error ?? "–"}</span> : s.score}
                        {s.reasoning && <span className="block text-slate-600 dark:text-slate-400">{s.reasoning}</span>}
                      </li>
                    ))}
                  </ul>
                </Td>
                <Td>{r.latencyMs === null ? "–" : `${r.latencyMs} ms`}</Td>
                <Td>{r.cost === null ? "–" : `$${r.cost.toFixed(6)}`}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      </Card>
    </div>
  );
}
