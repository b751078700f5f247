"use client";
import { useState } from "react";
import { Table, Td, Th } from "@/components/ui/table";
import type { FilterName } from "@/lib/usage/schemas";
import type { TopRow } from "@/lib/usage/types";
import { formatCount, formatUsd } from "./format";

/** "workspace" narrows an all-workspaces view to the row's workspace. */
export type TopFilter = FilterName | "workspace";
type Section = { title: string; rows: TopRow[]; filter?: TopFilter };

export function TopTables({ sections, onFilter }: { sections: Section[]; onFilter: (name: TopFilter, value: string) => void }) {
  const [sort, setSort] = useState<"cost" | "tokens">("cost");
  return (
    <section aria-labelledby="top-title" className="mt-6">
      <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
        <h2 id="top-title" className="text-base font-semibold">Top 10</h2>
        <div role="group" aria-label="Sort the top tables by" className="inline-flex overflow-hidden rounded-md border border-slate-300 dark:border-slate-600">
          {(["cost", "tokens"] as const).map((s) => (
            <button
              key={s}
              type="button"
              aria-pressed={sort === s}
              onClick={() => setSort(s)}
              className={`px-3 py-1.5 text-sm font-medium ${sort === s ? "bg-indigo-600 text-white" : "bg-white text-slate-800 hover:bg-slate-100 dark:bg-slate-800 dark:text-slate-100 dark:hover:bg-slate-700"}`}
            >
              By {s}
            </button>
          ))}
        </div>
      </div>
      <div className="grid gap-4 lg:grid-cols-2">
        {sections.map((sec) => {
          const rows = [...sec.rows].sort((a, b) => (sort === "cost" ? b.costUsd - a.costUsd || b.tokens - a.tokens : b.tokens - a.tokens)).slice(0, 10);
          return (
            <div key={sec.title}>
              <h3 className="mb-1 text-sm font-semibold">{sec.title}</h3>
              {rows.length === 0 ? (
                <p className="text-sm text-slate-600 dark:text-slate-400">Nothing in this range.</p>
              ) : (
                <Table caption={`Top ${sec.title.toLowerCase()} by ${sort}`}>
                  <thead className="bg-slate-50 dark:bg-slate-800/50">
                    <tr>
                      <Th>{sec.title.replace(/s$/, "")}</Th>
                      <Th className="text-right">Requests</Th>
                      <Th className="text-right">Tokens</Th>
                      <Th className="text-right">Cost</Th>
                    </tr>
                  </thead>
                  <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
                    {rows.map((r) => (
                      <tr key={r.id}>
                        <Td className="max-w-64 truncate">
                          {sec.filter ? (
                            <button type="button" className="text-left text-indigo-700 underline dark:text-indigo-300" onClick={() => onFilter(sec.filter!, r.id)} title={`Filter by ${r.label}`}>
                              {r.label}
                            </button>
                          ) : (
                            r.label
                          )}
                        </Td>
                        <Td className="text-right tabular-nums">{formatCount(r.requests)}</Td>
                        <Td className="text-right tabular-nums">{formatCount(r.tokens)}</Td>
                        <Td className="text-right tabular-nums">{formatUsd(r.costUsd)}</Td>
                      </tr>
                    ))}
                  </tbody>
                </Table>
              )}
            </div>
          );
        })}
      </div>
    </section>
  );
}
