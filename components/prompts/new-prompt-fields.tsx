"use client";
import { useId } from "react";
import { Card } from "@/components/ui/card";
import { inputClass as input } from "./styles";

/** What a new prompt carries beyond its first version's content; tags as typed, split on save. */
export type NewPromptMeta = { name: string; description: string; tags: string; production: boolean };

export const emptyNewPromptMeta: NewPromptMeta = { name: "", description: "", tags: "", production: false };

type Props = {
  meta: NewPromptMeta;
  onChange: (meta: NewPromptMeta) => void;
  /** The last save was refused for the name. */
  nameInvalid: boolean;
  /** Only admins may label the first version production. */
  isAdmin: boolean;
};

export function NewPromptFields({ meta, onChange, nameInvalid, isAdmin }: Props) {
  const ids = { name: useId(), description: useId(), tags: useId(), production: useId() };
  return (
    <Card title="New prompt">
      <div className="grid gap-3 sm:grid-cols-2">
        <div>
          <label htmlFor={ids.name} className="mb-1 block text-sm font-medium">Name</label>
          <input id={ids.name} className={`${input} font-mono`} value={meta.name} onChange={(e) => onChange({ ...meta, name: e.target.value })} aria-describedby={`${ids.name}-hint`} aria-invalid={nameInvalid ? true : undefined} />
          <p id={`${ids.name}-hint`} className="mt-1 text-xs text-slate-600 dark:text-slate-400">Lowercase slug that apps send as “prompt”, e.g. support-reply.</p>
        </div>
        <div>
          <label htmlFor={ids.tags} className="mb-1 block text-sm font-medium">Tags</label>
          <input id={ids.tags} className={input} value={meta.tags} onChange={(e) => onChange({ ...meta, tags: e.target.value })} placeholder="support, email" />
        </div>
        <div className="sm:col-span-2">
          <label htmlFor={ids.description} className="mb-1 block text-sm font-medium">Description</label>
          <input id={ids.description} className={input} value={meta.description} onChange={(e) => onChange({ ...meta, description: e.target.value })} />
        </div>
        {isAdmin && (
          <label htmlFor={ids.production} className="flex items-center gap-2 text-sm">
            <input id={ids.production} type="checkbox" checked={meta.production} onChange={(e) => onChange({ ...meta, production: e.target.checked })} />
            Label the first version production
          </label>
        )}
      </div>
    </Card>
  );
}
