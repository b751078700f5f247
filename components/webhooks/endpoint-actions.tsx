"use client";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { deleteWebhookAction, rotateWebhookSecretAction, testWebhookAction, updateWebhookAction } from "@/app/(console)/webhooks/actions";
import { Button } from "@/components/ui/button";
import { SecretOnce } from "./secret-once";

/** Test-send, enable/disable, rotate the secret, delete: one endpoint's buttons. */
export function EndpointActions({ id, enabled }: { id: string; enabled: boolean }) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const run = (fn: () => Promise<{ ok: boolean; error?: { message: string } } | undefined>, done?: string) =>
    start(async () => {
      const r = await fn();
      if (r && !r.ok) {
        setError(r.error?.message ?? "failed");
        setNote(null);
        return;
      }
      setError(null);
      setNote(done ?? null);
      router.refresh();
    });
  return (
    <div className="grid gap-2">
      <div className="flex flex-wrap gap-2">
        <Button disabled={pending} onClick={() => run(() => testWebhookAction(id), "Test event queued: it shows in the delivery log below.")}>
          Send test event
        </Button>
        <Button variant="secondary" disabled={pending} onClick={() => run(() => updateWebhookAction({ id, enabled: !enabled }), enabled ? "Disabled." : "Enabled.")}>
          {enabled ? "Disable" : "Enable"}
        </Button>
        <Button
          variant="secondary"
          disabled={pending}
          onClick={() =>
            run(async () => {
              const r = await rotateWebhookSecretAction(id);
              if (r.ok) setSecret(r.data.secret);
              return r;
            }, "Secret rotated: the old one no longer signs.")
          }
        >
          Rotate secret
        </Button>
        {confirmDelete ? (
          <>
            <Button
              variant="danger"
              disabled={pending}
              onClick={() =>
                start(async () => {
                  const r = await deleteWebhookAction(id);
                  if (!r.ok) return setError(r.error.message);
                  router.push("/webhooks");
                })
              }
            >
              Confirm delete
            </Button>
            <Button variant="ghost" onClick={() => setConfirmDelete(false)}>
              Cancel
            </Button>
          </>
        ) : (
          <Button variant="danger" disabled={pending} onClick={() => setConfirmDelete(true)}>
            Delete
          </Button>
        )}
      </div>
      {error && <p role="alert" className="text-sm text-red-700 dark:text-red-400">{error}</p>}
      {note && <p role="status" className="text-sm text-slate-700 dark:text-slate-300">{note}</p>}
      {secret && <SecretOnce secret={secret} onDone={() => setSecret(null)} />}
    </div>
  );
}
