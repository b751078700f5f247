"use client";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { redeliverAction } from "@/app/(console)/webhooks/actions";
import { Button } from "@/components/ui/button";

export function RedeliverButton({ id }: { id: string }) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | null>(null);
  return (
    <span className="inline-flex items-center gap-2">
      <Button
        size="sm"
        variant="secondary"
        disabled={pending}
        onClick={() =>
          start(async () => {
            const r = await redeliverAction(id);
            if (!r.ok) return setError(r.error.message);
            setError(null);
            router.refresh();
          })
        }
      >
        Redeliver<span className="sr-only"> delivery {id}</span>
      </Button>
      {error && <span role="alert" className="text-xs text-red-700 dark:text-red-400">{error}</span>}
    </span>
  );
}
