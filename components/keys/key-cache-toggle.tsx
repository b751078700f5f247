"use client";
import { useState, useTransition } from "react";
import { setKeyCacheAction } from "@/app/(console)/keys/actions";

export function KeyCacheToggle({ keyId, enabled }: { keyId: string; enabled: boolean }) {
  const [on, setOn] = useState(enabled);
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | null>(null);
  return (
    <div>
      <label className="flex items-center gap-2 text-sm">
        <input
          type="checkbox"
          checked={on}
          disabled={pending}
          onChange={(e) => {
            const next = e.target.checked;
            start(async () => {
              const r = await setKeyCacheAction({ id: keyId, enabled: next });
              if (r.ok) {
                setOn(r.data.cacheEnabled);
                setError(null);
              } else setError(r.error.message);
            });
          }}
        />
        Serve repeated identical requests (temperature 0) from the response cache
      </label>
      <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">
        A request can still opt out with <code className="font-mono">x-promptgate-cache: off</code>. Entries are never shared with other keys.
      </p>
      {error && <p role="alert" className="mt-1 text-xs text-red-700 dark:text-red-400">{error}</p>}
    </div>
  );
}
