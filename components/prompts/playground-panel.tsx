"use client";
import { useId, useState } from "react";
import { Button } from "@/components/ui/button";
import type { PromptContentInput } from "@/lib/prompts/schemas";
import { RunStats } from "./run-stats";
import { usePlaygroundStream } from "./use-playground-stream";

export type PlaygroundAccount = { id: string; name: string; models: string[] };

const input =
  "block w-full rounded border border-slate-300 bg-white px-2 py-1 text-sm text-slate-900 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100";

export function PlaygroundPanel({
  accounts, name, versions, draft, values, defaultModel,
}: {
  accounts: PlaygroundAccount[];
  name: string | null;
  versions: number[];
  /** The current draft's content, or null while the form has problems. */
  draft: PromptContentInput | undefined;
  values: Record<string, unknown>;
  defaultModel: string;
}) {
  const ids = { source: useId(), account: useId(), model: useId() };
  const [source, setSource] = useState<string>("draft");
  const [accountId, setAccountId] = useState(accounts[0]?.id ?? "");
  const [model, setModel] = useState(defaultModel);
  const { state, run, stop } = usePlaygroundStream();
  const account = accounts.find((a) => a.id === accountId);

  const start = () => {
    const body = {
      accountId, model: model.trim(), variables: values,
      ...(source === "draft" ? { prompt: name ?? undefined, draft } : { prompt: name ?? undefined, version: Number(source) }),
    };
    void run(body);
  };

  if (accounts.length === 0) {
    return <p className="text-sm text-slate-600 dark:text-slate-400">No enabled provider account: add one under Accounts to use the playground.</p>;
  }
  return (
    <section aria-labelledby="playground-heading" className="space-y-3">
      <h2 id="playground-heading" className="text-base font-semibold">Playground</h2>
      <div className="grid gap-2">
        <div>
          <label htmlFor={ids.source} className="mb-0.5 block text-xs font-medium">Run</label>
          <select id={ids.source} className={input} value={source} onChange={(e) => setSource(e.target.value)}>
            <option value="draft">Unsaved draft</option>
            {versions.map((v) => <option key={v} value={String(v)}>Version {v}</option>)}
          </select>
        </div>
        <div>
          <label htmlFor={ids.account} className="mb-0.5 block text-xs font-medium">Account</label>
          <select id={ids.account} className={input} value={accountId} onChange={(e) => setAccountId(e.target.value)}>
            {accounts.map((a) => <option key={a.id} value={a.id}>{a.name}</option>)}
          </select>
        </div>
        <div>
          <label htmlFor={ids.model} className="mb-0.5 block text-xs font-medium">Model</label>
          <input id={ids.model} className={input} value={model} onChange={(e) => setModel(e.target.value)} list={`${ids.model}-list`} />
          <datalist id={`${ids.model}-list`}>
            {(account?.models ?? []).filter((m) => !m.includes("*")).map((m) => <option key={m} value={m} />)}
          </datalist>
        </div>
      </div>
      <div className="flex gap-2">
        <Button onClick={start} disabled={state.status === "running" || !model.trim() || (source === "draft" && !draft)}>
          {state.status === "running" ? "Running…" : "Run"}
        </Button>
        {state.status === "running" && (
          <Button variant="secondary" onClick={stop}>Stop</Button>
        )}
      </div>
      <div className="min-h-24 whitespace-pre-wrap break-words rounded-md border border-slate-200 bg-slate-50 p-3 font-mono text-sm dark:border-slate-800 dark:bg-slate-800/40" data-testid="playground-output" aria-label="Playground output" role="log">
        {state.text || (state.status === "idle" ? <span className="text-slate-600 dark:text-slate-400">Output appears here as it streams.</span> : "")}
      </div>
      {state.error && <p role="alert" className="text-sm text-red-700 dark:text-red-400">{state.error}</p>}
      <RunStats state={state} testId="playground" />
    </section>
  );
}
