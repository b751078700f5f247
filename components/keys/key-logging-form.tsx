"use client";
import { setKeyLoggingAction } from "@/app/(console)/keys/actions";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { useActionForm } from "@/components/ui/use-action-form";

export function KeyLoggingForm({ keyId, enabled, retentionDays }: { keyId: string; enabled: boolean; retentionDays: number }) {
  const { pending, error, done, submit } = useActionForm(setKeyLoggingAction, { done: () => "Saved" });
  return (
    <form
      aria-label="Request logging"
      className="flex flex-wrap items-end gap-4"
      onSubmit={(e) => {
        e.preventDefault();
        const fd = new FormData(e.currentTarget);
        submit(e.currentTarget, { id: keyId, enabled: fd.get("enabled") === "on", retentionDays: Number(fd.get("retentionDays")) });
      }}
    >
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" name="enabled" defaultChecked={enabled} />
        Store this key&apos;s requests and responses (redacted before storage)
      </label>
      <TextField label="Keep for (days)" name="retentionDays" type="number" min={1} max={365} defaultValue={retentionDays} className="w-40" />
      <Button type="submit" disabled={pending}>{pending ? "Saving…" : "Save"}</Button>
      <span aria-live="polite" className={`text-sm ${done ? "text-emerald-700 dark:text-emerald-400" : "text-red-700 dark:text-red-400"}`}>{done ?? error?.message}</span>
    </form>
  );
}
