"use client";
import { useState } from "react";
import { createWebhookAction } from "@/app/(console)/webhooks/actions";
import { Button } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import { useActionForm } from "@/components/ui/use-action-form";
import { EVENT_TYPES, eventDescriptions, type EventType } from "@/lib/events/types";
import { formatLabels, webhookFormats, type WebhookFormat } from "@/lib/webhooks/schemas";
import { SecretOnce } from "./secret-once";

export function CreateWebhookForm({ instanceAdmin }: { instanceAdmin: boolean }) {
  // The secret lives outside the hook's success state: a later failed attempt must not hide one not yet copied.
  const [secret, setSecret] = useState<string | null>(null);
  const { pending, submit, fieldError, formError } = useActionForm(createWebhookAction, {
    fields: ["url", "description", "eventTypes", "format", "scope"],
    reset: true,
    onSuccess: (r) => setSecret(r.secret),
  });
  return (
    <div>
      <form
        aria-label="Create webhook endpoint"
        className="grid gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          const fd = new FormData(e.currentTarget);
          submit(e.currentTarget, {
            url: String(fd.get("url") ?? ""),
            description: String(fd.get("description") ?? ""),
            eventTypes: fd.getAll("eventTypes").map(String) as EventType[],
            format: String(fd.get("format") ?? "standard") as WebhookFormat,
            scope: fd.get("scope") === "instance" ? "instance" : "workspace",
          });
        }}
      >
        <div className="grid gap-3 sm:grid-cols-2">
          <TextField label="URL" name="url" type="url" required placeholder="https://example.com/hooks/promptgate" autoComplete="off" error={fieldError("url")} />
          <TextField label="Description (optional)" name="description" autoComplete="off" error={fieldError("description")} />
          <SelectField label="Format" name="format" defaultValue="standard" error={fieldError("format")}>
            {webhookFormats.map((f) => (
              <option key={f} value={f}>
                {formatLabels[f]}
              </option>
            ))}
          </SelectField>
          {instanceAdmin && (
            <SelectField label="Scope" name="scope" defaultValue="workspace" error={fieldError("scope")}>
              <option value="workspace">This workspace&apos;s events</option>
              <option value="instance">Instance-wide: every workspace&apos;s events, and account events</option>
            </SelectField>
          )}
        </div>
        <fieldset>
          <legend className="mb-1 text-sm font-medium text-slate-700 dark:text-slate-200">Events</legend>
          <div className="grid gap-1 sm:grid-cols-2">
            {EVENT_TYPES.map((t) => (
              <label key={t} className="flex items-start gap-2 text-sm">
                <input type="checkbox" name="eventTypes" value={t} className="mt-1" />
                <span>
                  <code className="font-mono text-xs">{t}</code> <span className="text-slate-600 dark:text-slate-400">{eventDescriptions[t]}</span>
                </span>
              </label>
            ))}
          </div>
          {fieldError("eventTypes") && <p role="alert" className="mt-1 text-xs text-red-700 dark:text-red-400">{fieldError("eventTypes")}</p>}
        </fieldset>
        <div>
          <Button type="submit" disabled={pending}>
            {pending ? "Creating…" : "Create endpoint"}
          </Button>
        </div>
      </form>
      {formError && <p role="alert" className="mt-2 text-sm text-red-700 dark:text-red-400">{formError}</p>}
      {secret && <SecretOnce secret={secret} onDone={() => setSecret(null)} />}
    </div>
  );
}
