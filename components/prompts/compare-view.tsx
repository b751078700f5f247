"use client";
import { useQueries } from "@tanstack/react-query";
import { useEffect, useId, useMemo, useState } from "react";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { wordDiff, wordDiffStats, type PlaygroundRequest, type PromptContentInput, type VariableType } from "@/lib/prompts/schemas";
import { draftToContent, parseTyped } from "./draft";
import { latestStoredDraft } from "./draft-storage";
import type { PlaygroundAccount } from "./playground-panel";
import { fetchVersion } from "./prompt-reads";
import { RunStats } from "./run-stats";
import { idleStream, usePlaygroundStreams } from "./use-playground-stream";

// Compare side by side: up to four columns, each a saved version or the
// unsaved draft on its own account and model. The variables are entered once;
// Run sends one playground request per column at the same time, so every
// column streams on its own and is recorded as its own playground usage event.

export const MAX_COLUMNS = 4;

type Source = "draft" | number;
type Column = { id: number; source: Source; accountId: string; model: string };
type Declared = { name: string; type: VariableType; required: boolean; values?: string[] };

const field =
  "block w-full rounded border border-slate-300 bg-white px-2 py-1 text-sm text-slate-900 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100";
const small = "mb-0.5 block text-xs font-medium";

const sourceValue = (s: Source) => (s === "draft" ? "draft" : String(s));
const sourceName = (s: Source) => (s === "draft" ? "Unsaved draft" : `Version ${s}`);

let nextColumnId = 0;

export function CompareView({
  name, versions, accounts, defaultModel, workspaceId,
}: {
  name: string;
  /** Newest first. */
  versions: number[];
  accounts: PlaygroundAccount[];
  defaultModel: string;
  workspaceId: string;
}) {
  const column = (source: Source): Column => ({ id: ++nextColumnId, source, accountId: accounts[0]?.id ?? "", model: defaultModel });
  const [columns, setColumns] = useState<Column[]>(() => [column(versions[0] ?? "draft"), column(versions[1] ?? versions[0] ?? "draft")]);
  const [texts, setTexts] = useState<Record<string, string>>({});
  const [draft, setDraft] = useState<{ content: PromptContentInput; savedAt: number } | null>(null);
  const [diffPair, setDiffPair] = useState({ from: 0, to: 1 });
  const [showDiff, setShowDiff] = useState(false);
  const { states, runAll, stop, reset } = usePlaygroundStreams();
  const running = states.some((s) => s.status === "running");

  // Local storage exists only in the browser: read the editor's kept draft after mount, never while rendering on the server.
  useEffect(() => {
    const stored = latestStoredDraft(workspaceId, name);
    const content = stored ? draftToContent(stored.draft).content : undefined;
    setDraft(stored && content ? { content, savedAt: stored.savedAt } : null);
  }, [workspaceId, name]);

  // The variables every chosen column declares, each asked for once (the first declaration names its type).
  const saved = [...new Set(columns.map((c) => c.source).filter((s): s is number => s !== "draft"))];
  const loaded = useQueries({
    queries: saved.map((v) => ({ queryKey: ["prompt-version", name, v], queryFn: ({ signal }: { signal: AbortSignal }) => fetchVersion(name, v, signal), staleTime: Infinity })),
  });
  const byName = new Map<string, Declared>();
  const declare = (list: readonly Partial<Declared>[] | undefined) => {
    for (const d of list ?? []) if (d.name && !byName.has(d.name)) byName.set(d.name, { name: d.name, type: d.type ?? "string", required: d.required ?? true, values: d.values });
  };
  if (columns.some((c) => c.source === "draft")) declare((draft?.content.variables ?? []) as unknown as Partial<Declared>[]);
  for (const q of loaded) declare(q.data?.variables);
  const declared = [...byName.values()];

  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const d of declared) {
    const text = texts[d.name] ?? "";
    if (text === "") continue;
    const p = parseTyped(d.type, text);
    if (p.ok) values[d.name] = p.value;
    else problems.push(`${d.name} ${p.message}`);
  }

  const change = (id: number, patch: Partial<Column>) => setColumns((cs) => cs.map((c) => (c.id === id ? { ...c, ...patch } : c)));
  const add = () => {
    reset();
    setShowDiff(false);
    setColumns((cs) => (cs.length >= MAX_COLUMNS ? cs : [...cs, column(versions[0] ?? "draft")]));
  };
  const remove = (id: number) => {
    reset();
    setShowDiff(false);
    setDiffPair({ from: 0, to: 1 });
    setColumns((cs) => cs.filter((c) => c.id !== id));
  };

  const ready = columns.every((c) => c.model.trim() && c.accountId && (c.source !== "draft" || draft)) && problems.length === 0;
  const run = () => {
    setShowDiff(false);
    const bodies: PlaygroundRequest[] = columns.map((c) => ({
      prompt: name, accountId: c.accountId, model: c.model.trim(), variables: values,
      ...(c.source === "draft" ? { draft: draft!.content } : { version: c.source }),
    }));
    void runAll(bodies);
  };

  const ids = { diffFrom: useId(), diffTo: useId() };
  const outputOf = (i: number) => states[i]?.text ?? "";
  const canDiff = columns.length >= 2 && diffPair.from !== diffPair.to && !!outputOf(diffPair.from) && !!outputOf(diffPair.to);

  if (accounts.length === 0) {
    return <p className="text-sm text-slate-600 dark:text-slate-400">No enabled provider account: add one under Accounts to compare outputs.</p>;
  }
  return (
    <div className="space-y-6">
      <Card title="Compare side by side">
        <p className="mb-3 text-sm text-slate-700 dark:text-slate-300">
          Up to {MAX_COLUMNS} columns, each a saved version or your unsaved draft on its own account and model. Enter the variables once; Run streams every
          column at once, and each run is recorded as playground usage.
          {!draft && " Edit the prompt in the Editor tab to compare an unsaved draft."}
        </p>
        {declared.length > 0 && (
          <form aria-label="Compare values" className="mb-3 grid gap-2 sm:grid-cols-2" onSubmit={(e) => e.preventDefault()}>
            {declared.map((d) => (
              <VariableField key={d.name} d={d} value={texts[d.name] ?? ""} onChange={(v) => setTexts((t) => ({ ...t, [d.name]: v }))} />
            ))}
          </form>
        )}
        {problems.length > 0 && <p role="alert" className="mb-3 text-sm text-red-700 dark:text-red-400">{problems.join("; ")}</p>}
        <div className="flex flex-wrap gap-2">
          <Button onClick={run} disabled={running || !ready}>{running ? "Running…" : "Run all"}</Button>
          {running && <Button variant="secondary" onClick={stop}>Stop</Button>}
          <Button variant="secondary" onClick={add} disabled={running || columns.length >= MAX_COLUMNS}>Add column</Button>
        </div>
      </Card>

      <div className={`grid gap-4 ${columns.length >= 3 ? "lg:grid-cols-2 2xl:grid-cols-4" : "lg:grid-cols-2"}`}>
        {columns.map((c, i) => (
          <CompareColumn
            key={c.id}
            index={i}
            column={c}
            accounts={accounts}
            versions={versions}
            hasDraft={!!draft}
            state={states[i] ?? idleStream}
            disabled={running}
            canRemove={columns.length > 1}
            onChange={(patch) => change(c.id, patch)}
            onRemove={() => remove(c.id)}
          />
        ))}
      </div>

      {columns.length >= 2 && (
        <Card title="Word diff">
          <form aria-label="Outputs to diff" className="flex flex-wrap items-end gap-3" onSubmit={(e) => e.preventDefault()}>
            <div>
              <label htmlFor={ids.diffFrom} className={small}>From</label>
              <select id={ids.diffFrom} className={field} value={diffPair.from} onChange={(e) => setDiffPair((p) => ({ ...p, from: Number(e.target.value) }))}>
                {columns.map((c, i) => <option key={c.id} value={i}>Column {i + 1} ({sourceName(c.source)})</option>)}
              </select>
            </div>
            <div>
              <label htmlFor={ids.diffTo} className={small}>To</label>
              <select id={ids.diffTo} className={field} value={diffPair.to} onChange={(e) => setDiffPair((p) => ({ ...p, to: Number(e.target.value) }))}>
                {columns.map((c, i) => <option key={c.id} value={i}>Column {i + 1} ({sourceName(c.source)})</option>)}
              </select>
            </div>
            <Button variant="secondary" onClick={() => setShowDiff(true)} disabled={!canDiff}>Show word diff</Button>
          </form>
          {showDiff && canDiff && <OutputDiff before={outputOf(diffPair.from)} after={outputOf(diffPair.to)} from={diffPair.from} to={diffPair.to} />}
        </Card>
      )}
    </div>
  );
}

function VariableField({ d, value, onChange }: { d: Declared; value: string; onChange: (v: string) => void }) {
  const id = useId();
  return (
    <div>
      <label htmlFor={id} className={`${small} font-mono`}>{d.name}{d.required ? "" : " (optional)"}</label>
      {d.type === "enum" || d.type === "boolean" ? (
        <select id={id} className={field} value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">Not set</option>
          {(d.type === "enum" ? (d.values ?? []) : ["true", "false"]).map((o) => <option key={o} value={o}>{o}</option>)}
        </select>
      ) : d.type === "json" ? (
        <textarea id={id} rows={2} className={`${field} font-mono`} value={value} onChange={(e) => onChange(e.target.value)} placeholder="JSON" spellCheck={false} />
      ) : (
        <input id={id} type={d.type === "number" ? "number" : "text"} step="any" className={field} value={value} onChange={(e) => onChange(e.target.value)} />
      )}
    </div>
  );
}

function CompareColumn({
  index, column, accounts, versions, hasDraft, state, disabled, canRemove, onChange, onRemove,
}: {
  index: number;
  column: Column;
  accounts: PlaygroundAccount[];
  versions: number[];
  hasDraft: boolean;
  state: typeof idleStream;
  disabled: boolean;
  canRemove: boolean;
  onChange: (patch: Partial<Column>) => void;
  onRemove: () => void;
}) {
  const ids = { source: useId(), account: useId(), model: useId() };
  const n = index + 1;
  const account = accounts.find((a) => a.id === column.accountId);
  return (
    <section aria-label={`Column ${n}`} data-testid={`compare-column-${index}`} data-status={state.status} className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
      <div className="flex items-center justify-between">
        <h2 className="text-sm font-semibold">Column {n}</h2>
        {canRemove && <Button variant="ghost" size="sm" onClick={onRemove} disabled={disabled}>Remove<span className="sr-only"> column {n}</span></Button>}
      </div>
      <fieldset disabled={disabled} className="grid gap-2">
        <legend className="sr-only">What column {n} runs</legend>
        <div>
          <label htmlFor={ids.source} className={small}>Prompt</label>
          <select id={ids.source} className={field} value={sourceValue(column.source)} onChange={(e) => onChange({ source: e.target.value === "draft" ? "draft" : Number(e.target.value) })}>
            <option value="draft" disabled={!hasDraft}>Unsaved draft{hasDraft ? "" : " (none)"}</option>
            {versions.map((v) => <option key={v} value={String(v)}>Version {v}</option>)}
          </select>
        </div>
        <div>
          <label htmlFor={ids.account} className={small}>Account</label>
          <select id={ids.account} className={field} value={column.accountId} onChange={(e) => onChange({ accountId: e.target.value })}>
            {accounts.map((a) => <option key={a.id} value={a.id}>{a.name}</option>)}
          </select>
        </div>
        <div>
          <label htmlFor={ids.model} className={small}>Model</label>
          <input id={ids.model} className={field} value={column.model} onChange={(e) => onChange({ model: e.target.value })} list={`${ids.model}-list`} />
          <datalist id={`${ids.model}-list`}>
            {(account?.models ?? []).filter((m) => !m.includes("*")).map((m) => <option key={m} value={m} />)}
          </datalist>
        </div>
      </fieldset>
      <div
        className="min-h-32 whitespace-pre-wrap break-words rounded-md border border-slate-200 bg-slate-50 p-3 font-mono text-sm dark:border-slate-800 dark:bg-slate-800/40"
        data-testid={`compare-output-${index}`}
        aria-label={`Column ${n} output`}
        role="log"
      >
        {state.text || (state.status === "idle" ? <span className="text-slate-600 dark:text-slate-400">Output appears here as it streams.</span> : "")}
      </div>
      {state.error && <p role="alert" className="text-sm text-red-700 dark:text-red-400">{state.error}</p>}
      <RunStats state={state} testId={`compare-column-${index}`} className="grid grid-cols-2 gap-x-4 gap-y-1 text-sm" />
    </section>
  );
}

function OutputDiff({ before, after, from, to }: { before: string; after: string; from: number; to: number }) {
  const parts = useMemo(() => wordDiff(before, after), [before, after]);
  const stats = wordDiffStats(parts);
  return (
    <div data-testid="output-diff" className="mt-4 space-y-2">
      <p className="text-sm text-slate-700 dark:text-slate-300">
        Column {from + 1} → column {to + 1}: {stats.removed} word(s) removed, {stats.added} added, {stats.same} the same.
      </p>
      <p className="whitespace-pre-wrap break-words rounded-md border border-slate-200 p-3 font-mono text-sm dark:border-slate-800">
        {parts.map((p, i) =>
          p.removed ? (
            <del key={i} className="rounded bg-red-100 text-red-900 decoration-red-700 dark:bg-red-950 dark:text-red-200">{p.value}</del>
          ) : p.added ? (
            <ins key={i} className="rounded bg-emerald-100 text-emerald-900 no-underline dark:bg-emerald-950 dark:text-emerald-200">{p.value}</ins>
          ) : (
            <span key={i}>{p.value}</span>
          ),
        )}
      </p>
    </div>
  );
}
