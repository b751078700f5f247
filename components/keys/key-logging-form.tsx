"use client";
import { useState, useTransition } from "react";
import { setKeyLoggingAction } from "@/app/(console)/keys/actions";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";

export function KeyLoggingForm({ keyId, enabled, retentionDays }: { keyId: string; enabled: boolean; retentionDays: number }) {
  const [pending, start] = useTransition();
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  return (
    <form
      aria-label="Request logging"
      className="flex flex-wrap items-end gap-4"
      onSubmit={(e) => {
        e.preventDefault();
        const fd = new FormData(e.currentTarget);
        start(async () => {
          const r = await setKeyLoggingAction({ id: keyId, enabled: fd.get("enabled") === "on", retentionDays: Number(fd.get("retentionDays")) });
          setMsg(r.ok ? { ok: true, text: "Saved" } : { ok: false, text: r.error.message });
        });
      }}
    >
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" name="enabled" defaultChecked={enabled} />
        Store this key&apos;s requests and responses (redacted before storage)
      </label>
      <TextField label="Keep for (days)" name="retentionDays" type="number" min={1} max={365} defaultValue={retentionDays} className="w-40" />
      <Button type="submit" disabled={pending}>{pending ? "Saving…" : "Save"}</Button>
      <span aria-live="polite" className={`text-sm ${msg?.ok ? "text-emerald-700 dark:text-emerald-400" : "text-red-700 dark:text-red-400"}`}>{msg?.text}</span>
    </form>
  );
}
