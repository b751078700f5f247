"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { updatePromptAction } from "@/app/(console)/prompts/actions";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { splitList } from "@/components/ui/format";
import { useActionForm } from "@/components/ui/use-action-form";
import type { UpdatePromptInput } from "@/lib/prompts/schemas";

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
  const [saves, setSaves] = useState(0);
  const { pending, done, submit, fieldError, formError } = useActionForm(updatePromptAction, {
    fields: ["description", "tags", "protectedLabels"],
    done: () => true,
    onSuccess: () => {
      router.refresh();
      setSaves((n) => n + 1);
    },
  });
  const candidates = [...new Set([...protectedLabels, ...labels.filter((l) => l !== "latest")])].sort();
  return (
    <form
      // Remount the fields from the stored values after each save (emptying "Also protect"), also when nothing changed.
      key={`${saves}:${JSON.stringify([description, tags, protectedLabels])}`}
      aria-label="Prompt settings"
      className="grid max-w-2xl gap-4"
      onSubmit={(e) => {
        e.preventDefault();
        const fd = new FormData(e.currentTarget);
        const patch: UpdatePromptInput = { description: String(fd.get("description") ?? ""), tags: splitList(String(fd.get("tags") ?? "")) };
        if (isAdmin) patch.protectedLabels = [...fd.getAll("protected").map(String), ...splitList(String(fd.get("protectedExtra") ?? ""))];
        submit(e.currentTarget, { name, ...patch });
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
      {formError && <p role="alert" className="text-sm text-red-700 dark:text-red-400">{formError}</p>}
    </form>
  );
}
