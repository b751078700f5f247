"use client";
import { useEffect, useState } from "react";
import { Button } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import {
  ALL_WORKSPACES, allowedBuckets, defaultBucket, DIMENSIONS, PRESET_MS, RANGE_PRESETS, STATUSES, SURFACE_LABEL, SURFACES, type Bucket, type Dimension, type FilterName,
  type UsageView,
} from "@/lib/usage/schemas";
import type { UsageFilterOptions, WorkspaceOptions } from "@/lib/usage/types";

const DIM_LABEL: Record<Dimension, string> = {
  model: "Model", account: "Account", key: "API key", prompt: "Prompt", version: "Prompt version", variant: "Variant", status: "Status", surface: "API surface",
  workspace: "Workspace",
};
const RANGE_LABEL: Record<string, string> = { "1h": "1 h", "24h": "24 h", "7d": "7 d", "30d": "30 d", "90d": "90 d", custom: "Custom" };

// datetime-local values are shown and read as UTC, like every time in the console.
const toLocalInput = (iso: string | undefined) => (iso ? iso.slice(0, 16) : "");
const fromLocalInput = (v: string) => (v ? new Date(`${v}:00Z`).toISOString() : undefined);

export function FiltersBar({ view, options, workspaces, onChange }: { view: UsageView; options: UsageFilterOptions; workspaces?: WorkspaceOptions; onChange: (v: UsageView) => void }) {
  const [from, setFrom] = useState(toLocalInput(view.from));
  const [to, setTo] = useState(toLocalInput(view.to));
  useEffect(() => {
    setFrom(toLocalInput(view.from));
    setTo(toLocalInput(view.to));
  }, [view.from, view.to]);

  const span = view.range === "custom" && view.from && view.to ? Date.parse(view.to) - Date.parse(view.from) : PRESET_MS[view.range === "custom" ? "7d" : view.range];
  const buckets = allowedBuckets(span);
  const setFilter = (name: FilterName, value: string) => {
    const filters = { ...view.filters };
    if (value) filters[name] = value;
    else delete filters[name];
    onChange({ ...view, filters });
  };
  const filterSelect = (name: FilterName, label: string, choices: { value: string; label: string }[]) => (
    <SelectField label={label} value={view.filters[name] ?? ""} onChange={(e) => setFilter(name, e.target.value)} className="min-w-36">
      <option value="">All</option>
      {choices.map((c) => (
        <option key={c.value} value={c.value}>{c.label}</option>
      ))}
      {view.filters[name] && !choices.some((c) => c.value === view.filters[name]) && <option value={view.filters[name]}>{view.filters[name]}</option>}
    </SelectField>
  );

  return (
    <section aria-label="Range and filters" className="mb-6 space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
      <div className="flex flex-wrap items-end gap-3">
        <fieldset>
          <legend className="mb-1 block text-sm font-medium text-slate-700 dark:text-slate-200">Range</legend>
          <div className="inline-flex overflow-hidden rounded-md border border-slate-300 dark:border-slate-600" role="group">
            {[...RANGE_PRESETS, "custom" as const].map((r) => (
              <button
                key={r}
                type="button"
                aria-pressed={view.range === r}
                onClick={() => {
                  if (r === "custom") {
                    const end = new Date();
                    const start = new Date(end.getTime() - PRESET_MS[view.range === "custom" ? "7d" : view.range]);
                    onChange({ ...view, range: "custom", from: start.toISOString().slice(0, 16) + ":00.000Z", to: end.toISOString().slice(0, 16) + ":00.000Z", bucket: undefined });
                  } else onChange({ ...view, range: r, from: undefined, to: undefined, bucket: undefined });
                }}
                className={`px-3 py-2 text-sm font-medium ${view.range === r ? "bg-indigo-600 text-white" : "bg-white text-slate-800 hover:bg-slate-100 dark:bg-slate-800 dark:text-slate-100 dark:hover:bg-slate-700"}`}
              >
                {RANGE_LABEL[r]}
              </button>
            ))}
          </div>
        </fieldset>
        {view.range === "custom" && (
          <form
            className="flex flex-wrap items-end gap-2"
            aria-label="Custom range"
            onSubmit={(e) => {
              e.preventDefault();
              const f = fromLocalInput(from);
              const t = fromLocalInput(to);
              if (f && t && Date.parse(t) > Date.parse(f)) onChange({ ...view, range: "custom", from: f, to: t, bucket: undefined });
            }}
          >
            <TextField label="From (UTC)" type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} required />
            <TextField label="To (UTC)" type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} required />
            <Button type="submit" variant="secondary">Apply</Button>
          </form>
        )}
        <SelectField
          label="Bucket"
          value={view.bucket && buckets.includes(view.bucket) ? view.bucket : defaultBucket(span)}
          onChange={(e) => onChange({ ...view, bucket: e.target.value === defaultBucket(span) ? undefined : (e.target.value as Bucket) })}
        >
          {buckets.map((b) => (
            <option key={b} value={b}>{b}</option>
          ))}
        </SelectField>
        <SelectField label="Stack tokens by" value={view.by} onChange={(e) => onChange({ ...view, by: e.target.value as Dimension })}>
          {DIMENSIONS.filter((d) => d !== "workspace" || workspaces || view.by === d).map((d) => (
            <option key={d} value={d}>{DIM_LABEL[d]}</option>
          ))}
        </SelectField>
        {workspaces && (
          <SelectField
            label="Usage of"
            value={view.workspace ?? ""}
            // Another workspace's ids mean nothing here: a new scope starts with no key or prompt filter.
            onChange={(e) => {
              const { key: _key, prompt: _prompt, ...rest } = view.filters;
              onChange({ ...view, workspace: e.target.value || undefined, filters: rest });
            }}
            className="min-w-44"
          >
            <option value="">This workspace ({workspaces.choices.find((c) => c.value === workspaces.current)?.label ?? "current"})</option>
            <option value={ALL_WORKSPACES}>All workspaces</option>
            {workspaces.choices.filter((c) => c.value !== workspaces.current).map((c) => (
              <option key={c.value} value={c.value}>{c.label}</option>
            ))}
          </SelectField>
        )}
      </div>
      <div className="flex flex-wrap items-end gap-3">
        {filterSelect("model", "Model", options.models)}
        {filterSelect("key", "API key", options.keys)}
        {filterSelect("prompt", "Prompt", options.prompts)}
        {filterSelect("account", "Account", options.accounts)}
        {filterSelect("status", "Status", STATUSES.map((s) => ({ value: s, label: s })))}
        {filterSelect("surface", "API surface", SURFACES.map((s) => ({ value: s, label: SURFACE_LABEL[s] })))}
        {Object.keys(view.filters).length > 0 && (
          <Button variant="ghost" onClick={() => onChange({ ...view, filters: {} })}>Clear filters</Button>
        )}
      </div>
    </section>
  );
}
