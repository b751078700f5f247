"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { usePathname, useRouter } from "next/navigation";
import { useId, useState } from "react";
import { Card } from "@/components/ui/card";
import type { VersionDiff } from "@/lib/prompts/schemas";
import { fetchDiff } from "./prompt-reads";
import { VersionDiffView } from "./version-diff";

const select =
  "block rounded border border-slate-300 bg-white px-2 py-1 text-sm text-slate-900 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100";

export function DiffView({ name, versions, from: initialFrom, to: initialTo, initial }: { name: string; versions: number[]; from: number; to: number; initial: VersionDiff | null }) {
  const router = useRouter();
  const path = usePathname();
  const ids = { from: useId(), to: useId() };
  const [pair, setPair] = useState({ from: initialFrom, to: initialTo });
  const { data, error, isFetching } = useQuery({
    queryKey: ["prompt-diff", name, pair.from, pair.to],
    queryFn: ({ signal }) => fetchDiff(name, pair, signal),
    initialData: pair.from === initialFrom && pair.to === initialTo && initial ? initial : undefined,
    placeholderData: keepPreviousData,
  });
  const choose = (next: { from: number; to: number }) => {
    setPair(next);
    router.replace(`${path}?from=${next.from}&to=${next.to}`, { scroll: false });
  };
  return (
    <Card>
      <form aria-label="Versions to compare" className="mb-4 flex flex-wrap items-end gap-3" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label htmlFor={ids.from} className="mb-1 block text-sm font-medium">From</label>
          <select id={ids.from} className={select} value={pair.from} onChange={(e) => choose({ ...pair, from: Number(e.target.value) })}>
            {versions.map((v) => <option key={v} value={v}>v{v}</option>)}
          </select>
        </div>
        <div>
          <label htmlFor={ids.to} className="mb-1 block text-sm font-medium">To</label>
          <select id={ids.to} className={select} value={pair.to} onChange={(e) => choose({ ...pair, to: Number(e.target.value) })}>
            {versions.map((v) => <option key={v} value={v}>v{v}</option>)}
          </select>
        </div>
        <span aria-live="polite" className="text-xs text-slate-600 dark:text-slate-400">{isFetching ? "Comparing…" : ""}</span>
      </form>
      {error && <p role="alert" className="text-sm text-red-700">{error.message}</p>}
      {data && <VersionDiffView diff={data} />}
    </Card>
  );
}
