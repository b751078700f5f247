"use client";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { updatePromptAction } from "@/app/(console)/prompts/actions";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { splitList } from "@/components/ui/format";


type Props = {
  name: string;
  description: string;
  tags: string[];
  protectedLabels: string[];
  /** Labels the prompt has now, offered as protection candidates next to the protected ones. */
  labels: string[];
  canEdit: boolean;
  isAdmin: boolean;
};

/**
 * A prompt's own settings. Editors change the description and tags; which
 * labels are protected (movable by admins only) is an admin's call, so the
 * field is sent only by admins, and the server refuses it from anyone else.
 */
export function PromptSettingsForm({ name, description, tags, protectedLabels, labels, canEdit, isAdmin }: Props) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [error, setError] = useState<{ message: string; param?: string | null } | null>(null);
  const [done, setDone] = useState(false);
  const [saves, setSaves] = useState(0);
  const candidates = [...new Set([...protectedLabels, ...labels.filter((l) => l !== "latest")])].sort();
  const fieldError = (param: string) => (error?.param?.startsWith(param) ? error.message : null);
  return (
    <form
      // Remount the fields from the stored values after each save (emptying "Also protect"), also when nothing changed.
      key={`${saves}:${JSON.stringify([description, tags, protectedLabels])}`}
      aria-label="Prompt settings"
      className="grid max-w-2xl gap-4"
      onSubmit={(e) => {
        e.preventDefault();
        const fd = new FormData(e.currentTarget);
        const patch: Record<string, unknown> = { description: String(fd.get("description") ?? ""), tags: splitList(String(fd.get("tags") ?? "")) };
        if (isAdmin) patch.protectedLabels = [...fd.getAll("protected").map(String), ...splitList(String(fd.get("protectedExtra") ?? ""))];
        setDone(false);
        start(async () => {
          const r = await updatePromptAction({ name, patch });
          if (!r.ok) return setError(r.error);
          setError(null);
          setDone(true);
          router.refresh();
          setSaves((n) => n + 1);
        });
      }}
    >
      <fieldset disabled={!canEdit || pending} className="grid gap-4">
        <TextField label="Description" name="description" defaultValue={description} maxLength={1000} error={fieldError("description")} />
        <TextField label="Tags" name="tags" defaultValue={tags.join(", ")} hint="Words separated by commas or spaces." error={fieldError("tags")} />
      </fieldset>
      <fieldset disabled={!isAdmin || pending} className="grid gap-2">
        <legend className="mb-1 text-sm font-medium text-slate-700 dark:text-slate-200">Protected labels</legend>
        <p className="text-xs text-slate-600 dark:text-slate-400">
          Only admins may move a protected label, so an editor&apos;s save or an experiment never changes what it serves.
          {!isAdmin && " Ask an admin to change this."}
        </p>
        <div className="flex flex-wrap gap-4">
          {candidates.map((l) => (
            <label key={l} className="flex items-center gap-1.5 text-sm">
              <input type="checkbox" name="protected" value={l} defaultChecked={protectedLabels.includes(l)} />
              <code className="font-mono">{l}</code>
            </label>
          ))}
        </div>
        {isAdmin && <TextField label="Also protect" name="protectedExtra" hint="Label names not used yet, separated by commas." error={fieldError("protectedLabels")} />}
      </fieldset>
      {canEdit && (
        <div className="flex items-center gap-3">
          <Button type="submit" disabled={pending}>{pending ? "Saving…" : "Save settings"}</Button>
          {done && <p role="status" className="text-sm text-emerald-800 dark:text-emerald-300">Saved</p>}
        </div>
      )}
      {error && !["description", "tags", "protectedLabels"].some((p) => error.param?.startsWith(p)) && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">{error.message}</p>
      )}
    </form>
  );
}
