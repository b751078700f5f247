"use client";
import { useId } from "react";
import { useEditorStore } from "./use-editor-store";
import type { ConfigForm } from "./draft";

const input =
  "block w-full rounded border border-slate-300 bg-white px-2 py-1 text-sm text-slate-900 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100";

function Field({ label, k, hint, type = "text", models }: { label: string; k: keyof ConfigForm; hint?: string; type?: string; models?: string[] }) {
  const id = useId();
  const value = useEditorStore((s) => s.draft.config[k]);
  const set = useEditorStore((s) => s.setConfig);
  return (
    <div>
      <label htmlFor={id} className="mb-1 block text-xs font-medium">{label}</label>
      <input id={id} type={type} step="any" className={input} value={value} onChange={(e) => set({ [k]: e.target.value })} list={models ? `${id}-models` : undefined} aria-describedby={hint ? `${id}-hint` : undefined} />
      {models && (
        <datalist id={`${id}-models`}>
          {models.map((m) => <option key={m} value={m} />)}
        </datalist>
      )}
      {hint && <p id={`${id}-hint`} className="mt-0.5 text-xs text-slate-600 dark:text-slate-400">{hint}</p>}
    </div>
  );
}

export function ModelConfigForm({ readOnly, models, problems }: { readOnly: boolean; models: string[]; problems: Record<string, string> }) {
  const rf = useEditorStore((s) => s.draft.config.response_format);
  const extra = useEditorStore((s) => s.draft.config.extra);
  const set = useEditorStore((s) => s.setConfig);
  const rfId = useId();
  const extraId = useId();
  return (
    <fieldset disabled={readOnly} className="space-y-3">
      <legend className="mb-2 text-base font-semibold">Model config</legend>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Model" k="model" models={models} hint="Apps can override it per request." />
        <Field label="Temperature" k="temperature" type="number" />
        <Field label="Max tokens" k="max_tokens" type="number" />
        <Field label="Top p" k="top_p" type="number" />
        <Field label="Stop sequences" k="stop" hint="Comma-separated, up to 4." />
        <div>
          <label htmlFor={rfId} className="mb-1 block text-xs font-medium">Response format</label>
          <select id={rfId} className={input} value={rf} onChange={(e) => set({ response_format: e.target.value as ConfigForm["response_format"] })}>
            <option value="">Default</option>
            <option value="text">text</option>
            <option value="json_object">json_object</option>
          </select>
        </div>
      </div>
      <div>
        <label htmlFor={extraId} className="mb-1 block text-xs font-medium">Extra request fields (JSON object)</label>
        <textarea id={extraId} rows={3} className={`${input} font-mono`} value={extra} onChange={(e) => set({ extra: e.target.value })} placeholder='{"seed": 42}' spellCheck={false} aria-invalid={problems["config.extra"] ? true : undefined} />
        {problems["config.extra"] && <p role="alert" className="mt-1 text-xs text-red-700 dark:text-red-400">{problems["config.extra"]}</p>}
      </div>
    </fieldset>
  );
}
