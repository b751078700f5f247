"use client";
import { useState, useTransition } from "react";
import { createPriceAction, deletePriceAction } from "@/app/(console)/usage/pricing/actions";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { useActionForm } from "@/components/ui/use-action-form";

const nowUtcInput = () => new Date(Date.now() + 5 * 60_000).toISOString().slice(0, 16);

export function PriceForm() {
  const { pending, done, submit, fieldError, formError } = useActionForm(createPriceAction, { done: (price) => `Added a price for ${price.model}`, reset: true });
  return (
    <form
      aria-label="Add a price"
      className="grid gap-3 sm:grid-cols-2 lg:grid-cols-6 lg:items-end"
      onSubmit={(e) => {
        e.preventDefault();
        const fd = new FormData(e.currentTarget);
        const from = String(fd.get("effectiveFrom") ?? "");
        submit(e.currentTarget, {
          model: String(fd.get("model") ?? ""),
          inputPerMTok: fd.get("inputPerMTok"),
          outputPerMTok: fd.get("outputPerMTok"),
          cachedInputPerMTok: fd.get("cachedInputPerMTok"),
          effectiveFrom: from ? `${from}:00Z` : "",
        });
      }}
    >
      <TextField label="Model or prefix" name="model" required placeholder="gpt-4o-mini or gpt-4o*" hint="An exact name, or a prefix ending in *" autoComplete="off" error={fieldError("model")} className="lg:col-span-2" />
      <TextField label="Input $/1M" name="inputPerMTok" type="number" step="0.000001" min="0" required error={fieldError("inputPerMTok")} />
      <TextField label="Output $/1M" name="outputPerMTok" type="number" step="0.000001" min="0" required error={fieldError("outputPerMTok")} />
      <TextField label="Cached input $/1M" name="cachedInputPerMTok" type="number" step="0.000001" min="0" hint="Optional" error={fieldError("cachedInputPerMTok")} />
      <TextField label="Effective from (UTC)" name="effectiveFrom" type="datetime-local" required defaultValue={nowUtcInput()} error={fieldError("effectiveFrom")} />
      <div className="lg:col-span-6 flex items-center gap-3">
        <Button type="submit" disabled={pending}>{pending ? "Adding…" : "Add price"}</Button>
        {done && <p role="status" className="text-sm text-emerald-800 dark:text-emerald-300">{done}</p>}
        {formError && <p role="alert" className="text-sm text-red-700 dark:text-red-400">{formError}</p>}
      </div>
    </form>
  );
}

export function DeletePriceButton({ id, label }: { id: string; label: string }) {
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <Button
        variant="ghost"
        size="sm"
        disabled={pending}
        aria-label={`Delete the scheduled price ${label}`}
        onClick={() =>
          start(async () => {
            const res = await deletePriceAction(id);
            if (!res.ok) setError(res.error.message);
          })
        }
      >
        Delete
      </Button>
      {error && <span role="alert" className="text-xs text-red-700 dark:text-red-400">{error}</span>}
    </>
  );
}
