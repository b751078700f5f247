"use client";
import { useState, useTransition } from "react";
import { endAllSessionsAction } from "@/app/(console)/account/actions";
import { Button } from "@/components/ui/button";

export function EndSessionsButton() {
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="flex items-center gap-3">
      <Button
        variant="secondary"
        disabled={pending}
        onClick={() => {
          if (!window.confirm("Sign out of every session, this one included?")) return;
          start(async () => {
            // On success the action signs out and redirects; only a refusal comes back.
            const r = await endAllSessionsAction({ confirm: true });
            if (r && !r.ok) setError(r.error.message);
          });
        }}
      >
        {pending ? "Signing out…" : "Sign out everywhere"}
      </Button>
      {error && <p role="alert" className="text-sm text-red-700 dark:text-red-400">{error}</p>}
    </div>
  );
}
