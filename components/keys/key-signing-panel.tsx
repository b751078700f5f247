"use client";
import { useState, useTransition } from "react";
import { disableSigningAction, enableSigningAction } from "@/app/(console)/keys/actions";
import { Button } from "@/components/ui/button";
import { CopyButton } from "@/components/ui/copy-button";

export function KeySigningPanel({ keyId, enabled }: { keyId: string; enabled: boolean }) {
  const [pending, start] = useTransition();
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = (fn: () => Promise<void>) => start(fn);
  return (
    <div className="grid gap-3 text-sm">
      <p>
        {enabled ? "Requests with this key must be signed." : "Signing is off: the key alone authenticates a request."} A signed request sends{" "}
        <code>x-promptgate-timestamp</code> (Unix seconds) and <code>x-promptgate-signature</code>, the hex HMAC-SHA256 of method, path, timestamp and
        the body&apos;s SHA-256, one per line. Signatures older than 5 minutes, or seen before, are refused.
      </p>
      <div className="flex flex-wrap gap-2">
        <Button
          disabled={pending}
          onClick={() =>
            run(async () => {
              const r = await enableSigningAction(keyId);
              if (r.ok) {
                setSecret(r.data.secret);
                setError(null);
              } else setError(r.error.message);
            })
          }
        >
          {enabled ? "Rotate signing secret" : "Require signed requests"}
        </Button>
        {enabled && (
          <Button
            variant="danger"
            disabled={pending}
            onClick={() =>
              run(async () => {
                const r = await disableSigningAction(keyId);
                if (r.ok) {
                  setSecret(null);
                  setError(null);
                } else setError(r.error.message);
              })
            }
          >
            Turn signing off
          </Button>
        )}
      </div>
      {error && <p role="alert" className="text-red-700 dark:text-red-400">{error}</p>}
      {secret && (
        <div role="status" className="rounded-md border border-amber-300 bg-amber-50 p-3 dark:border-amber-700 dark:bg-amber-950">
          <p className="font-medium text-amber-900 dark:text-amber-100">Copy the signing secret now. It will not be shown again.</p>
          <div className="mt-2 flex flex-wrap items-center gap-2">
            <code data-testid="signing-secret" className="break-all rounded bg-white px-2 py-1 font-mono dark:bg-slate-900">
              {secret}
            </code>
            <CopyButton value={secret} />
          </div>
        </div>
      )}
    </div>
  );
}
