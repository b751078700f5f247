"use client";
import { useId } from "react";
import type { PreviewResult } from "@/lib/prompts/schemas";
import { parseTyped, type VariableRow } from "./draft";
import { useEditorStore } from "./use-editor-store";

const input =
  "block w-full rounded border border-slate-300 bg-white px-2 py-1 text-sm text-slate-900 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100";

/** The typed sample values for a render; empty fields are left out so defaults apply. */
export function sampleValues(variables: VariableRow[], samples: Record<string, string>): { values: Record<string, unknown>; problems: string[] } {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const v of variables) {
    const text = samples[v.name] ?? "";
    if (text === "") continue;
    const p = parseTyped(v.type, text);
    if (p.ok) values[v.name] = p.value;
    else problems.push(`${v.name} ${p.message}`);
  }
  return { values, problems };
}

function SampleField({ v }: { v: VariableRow }) {
  const id = useId();
  const value = useEditorStore((s) => s.samples[v.name] ?? "");
  const set = useEditorStore((s) => s.setSample);
  const label = `${v.name}${v.required ? "" : " (optional)"}`;
  return (
    <div>
      <label htmlFor={id} className="mb-0.5 block font-mono text-xs font-medium">{label}</label>
      {v.type === "enum" ? (
        <select id={id} className={input} value={value} onChange={(e) => set(v.name, e.target.value)}>
          <option value="">{v.defaultText ? `Default (${v.defaultText})` : "Not set"}</option>
          {v.valuesText.split(",").map((s) => s.trim()).filter(Boolean).map((o) => <option key={o} value={o}>{o}</option>)}
        </select>
      ) : v.type === "boolean" ? (
        <select id={id} className={input} value={value} onChange={(e) => set(v.name, e.target.value)}>
          <option value="">{v.defaultText ? `Default (${v.defaultText})` : "Not set"}</option>
          <option value="true">true</option>
          <option value="false">false</option>
        </select>
      ) : v.type === "json" ? (
        <textarea id={id} rows={2} className={`${input} font-mono`} value={value} onChange={(e) => set(v.name, e.target.value)} placeholder={v.defaultText || "JSON"} spellCheck={false} />
      ) : (
        <input id={id} type={v.type === "number" ? "number" : "text"} step="any" className={input} value={value} onChange={(e) => set(v.name, e.target.value)} placeholder={v.defaultText} />
      )}
    </div>
  );
}

export function PreviewPanel({ result, pending, problems }: { result: PreviewResult | undefined; pending: boolean; problems: string[] }) {
  // Select the stable array and filter here: a selector that builds a new array re-renders forever.
  const all = useEditorStore((s) => s.draft.variables);
  const variables = all.filter((v) => v.name.trim());
  return (
    <section aria-labelledby="preview-heading" className="space-y-3">
      <h2 id="preview-heading" className="text-base font-semibold">Live preview</h2>
      {variables.length > 0 && (
        <form aria-label="Preview values" className="grid gap-2" onSubmit={(e) => e.preventDefault()}>
          {variables.map((v) => <SampleField key={v.id} v={v} />)}
        </form>
      )}
      <div aria-live="polite" aria-busy={pending} data-testid="preview">
        {problems.length > 0 && <p role="alert" className="text-sm text-red-700 dark:text-red-400">{problems.join("; ")}</p>}
        {!result ? (
          <p className="text-sm text-slate-600 dark:text-slate-400">Rendering…</p>
        ) : result.ok ? (
          <ol className="space-y-2">
            {result.messages.map((m, i) => (
              <li key={i} className="rounded-md border border-slate-200 bg-slate-50 p-2 dark:border-slate-800 dark:bg-slate-800/40">
                <div className="text-xs font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">{m.role}</div>
                <p className="whitespace-pre-wrap break-words text-sm">{m.content}</p>
              </li>
            ))}
            <li className="text-xs text-slate-600 dark:text-slate-400">{result.chars} characters</li>
          </ol>
        ) : (
          <p className="rounded-md border border-amber-300 bg-amber-50 p-2 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100" data-testid="preview-error">
            {result.error.message}
          </p>
        )}
      </div>
    </section>
  );
}
