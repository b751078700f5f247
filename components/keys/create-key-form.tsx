"use client";
import { useState } from "react";
import { createApiKeyAction } from "@/app/(console)/keys/actions";
import { Button } from "@/components/ui/button";
import { CopyButton } from "@/components/ui/copy-button";
import { TextField } from "@/components/ui/field";
import { splitList } from "@/components/ui/format";
import { useActionForm } from "@/components/ui/use-action-form";

export function CreateKeyForm() {
  // The new key lives outside the hook's success state: a later failed attempt must not hide a key not yet copied.
  const [created, setCreated] = useState<string | null>(null);
  const { pending, submit, fieldError, formError } = useActionForm(createApiKeyAction, { reset: true, onSuccess: (key) => setCreated(key.key) });

  return (
    <div>
      <form
        aria-label="Create API key"
        className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4 lg:items-end"
        onSubmit={(e) => {
          e.preventDefault();
          const fd = new FormData(e.currentTarget);
          const scopes = splitList(String(fd.get("scopes") ?? ""));
          const expires = String(fd.get("expiresAt") ?? "");
          submit(e.currentTarget, { name: String(fd.get("name") ?? ""), scopes, expiresAt: expires ? new Date(expires) : null });
        }}
      >
        <TextField label="Name" name="name" required autoComplete="off" error={fieldError("name")} />
        <TextField label="Scopes" name="scopes" defaultValue="completions" hint="Space-separated: completions, admin, model:gpt-4o*" error={fieldError("scopes")} />
        <TextField label="Expires (optional)" name="expiresAt" type="date" error={fieldError("expiresAt")} />
        <Button type="submit" disabled={pending}>
          {pending ? "Creating…" : "Create key"}
        </Button>
      </form>
      {formError && <p role="alert" className="mt-2 text-sm text-red-700 dark:text-red-400">{formError}</p>}
      {created && (
        <div role="status" className="mt-4 rounded-md border border-amber-300 bg-amber-50 p-3 dark:border-amber-700 dark:bg-amber-950">
          <p className="text-sm font-medium text-amber-900 dark:text-amber-100">Copy this key now. It will not be shown again.</p>
          <div className="mt-2 flex flex-wrap items-center gap-2">
            <code data-testid="new-api-key" className="break-all rounded bg-white px-2 py-1 font-mono text-sm dark:bg-slate-900">
              {created}
            </code>
            <CopyButton value={created} />
            <Button variant="ghost" size="sm" onClick={() => setCreated(null)}>
              Done
            </Button>
          </div>
        </div>
      )}
    </div>
  );
}
