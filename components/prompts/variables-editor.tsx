"use client";
import { Button } from "@/components/ui/button";
import { variableTypes } from "@/lib/prompts/schemas";
import { useEditorStore } from "./use-editor-store";

const input =
  "block w-full rounded border border-slate-300 bg-white px-2 py-1 text-sm text-slate-900 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100";

export function VariablesEditor({ readOnly }: { readOnly: boolean }) {
  const variables = useEditorStore((s) => s.draft.variables);
  const update = useEditorStore((s) => s.updateVariable);
  const add = useEditorStore((s) => s.addVariable);
  const remove = useEditorStore((s) => s.removeVariable);
  return (
    <fieldset disabled={readOnly} className="space-y-2">
      <legend className="mb-2 text-base font-semibold">Variables</legend>
      {variables.length === 0 && <p className="text-sm text-slate-600 dark:text-slate-400">No declared variables.</p>}
      {variables.map((v, i) => {
        const n = v.name || `#${i + 1}`;
        return (
          <div key={v.id} data-testid={`variable-${v.name}`} className="grid gap-2 rounded-md border border-slate-200 p-2 sm:grid-cols-[1fr_7rem_auto_1fr] dark:border-slate-800">
            <label className="text-xs font-medium">
              Name
              <input className={`${input} font-mono`} value={v.name} onChange={(e) => update(v.id, { name: e.target.value })} aria-label={`Variable ${i + 1} name`} />
            </label>
            <label className="text-xs font-medium">
              Type
              <select className={input} value={v.type} onChange={(e) => update(v.id, { type: e.target.value as typeof v.type })} aria-label={`Type of ${n}`}>
                {variableTypes.map((t) => (
                  <option key={t} value={t}>{t}</option>
                ))}
              </select>
            </label>
            <label className="flex items-center gap-1 self-end pb-1 text-xs font-medium">
              <input type="checkbox" checked={v.required} onChange={(e) => update(v.id, { required: e.target.checked })} aria-label={`${n} is required`} />
              Required
            </label>
            <label className="text-xs font-medium">
              Default
              <input className={input} value={v.defaultText} onChange={(e) => update(v.id, { defaultText: e.target.value })} aria-label={`Default of ${n}`} placeholder={v.type === "json" ? "JSON" : ""} />
            </label>
            {v.type === "enum" && (
              <label className="text-xs font-medium sm:col-span-2">
                Allowed values (comma-separated)
                <input className={input} value={v.valuesText} onChange={(e) => update(v.id, { valuesText: e.target.value })} aria-label={`Allowed values of ${n}`} />
              </label>
            )}
            <label className="text-xs font-medium sm:col-span-3">
              Description
              <input className={input} value={v.description} onChange={(e) => update(v.id, { description: e.target.value })} aria-label={`Description of ${n}`} />
            </label>
            {!readOnly && (
              <Button variant="ghost" size="sm" className="self-end" onClick={() => remove(v.id)}>
                Remove<span className="sr-only"> variable {n}</span>
              </Button>
            )}
          </div>
        );
      })}
      {!readOnly && (
        <Button variant="secondary" size="sm" onClick={() => add()}>
          Add variable
        </Button>
      )}
    </fieldset>
  );
}
