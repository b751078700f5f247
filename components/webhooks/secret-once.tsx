"use client";
import { Button } from "@/components/ui/button";
import { CopyButton } from "@/components/ui/copy-button";

/** A signing secret, shown once after create or rotate. */
export function SecretOnce({ secret, onDone }: { secret: string; onDone?: () => void }) {
  return (
    <div role="status" className="mt-4 rounded-md border border-amber-300 bg-amber-50 p-3 dark:border-amber-700 dark:bg-amber-950">
      <p className="text-sm font-medium text-amber-900 dark:text-amber-100">Copy the signing secret now. It will not be shown again.</p>
      <div className="mt-2 flex flex-wrap items-center gap-2">
        <code data-testid="webhook-secret" className="break-all rounded bg-white px-2 py-1 font-mono text-sm dark:bg-slate-900">
          {secret}
        </code>
        <CopyButton value={secret} />
        {onDone && (
          <Button variant="ghost" size="sm" onClick={onDone}>
            Done
          </Button>
        )}
      </div>
    </div>
  );
}
