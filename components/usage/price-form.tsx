"use client";
import { useState, useTransition } from "react";
import { createPriceAction, deletePriceAction } from "@/app/(console)/usage/pricing/actions";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";

const nowUtcInput = () => new Date(Date.now() + 5 * 60_000).toISOString().slice(0, 16);

export function PriceForm() {
  const [pending, start] = useTransition();
  const [error, setError] = useState<{ message: string; param?: string | null } | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const err = (p: string) => (error?.param === p ? error.message : null);
  return (
    <form
      aria-label="Add a price"
      className="grid gap-3 sm:grid-cols-2 lg:grid-cols-6 lg:items-end"
      onSubmit={(e) => {
        e.preventDefault();
        const form = e.currentTarget;
        const fd = new FormData(form);
        const from = String(fd.get("effectiveFrom") ?? "");
        start(async () => {
          const res = await createPriceAction({
            model: fd.get("model"),
            inputPerMTok: fd.get("inputPerMTok"),
            outputPerMTok: fd.get("outputPerMTok"),
            cachedInputPerMTok: fd.get("cachedInputPerMTok"),
            effectiveFrom: from ? `${from}:00Z` : "",
          });
          if (res.ok) {
            setDone(`Added a price for ${res.data.model}`);
            setError(null);
            form.reset();
          } else {
            setDone(null);
            setError(res.error);
          }
        });
      }}
    >
      <TextField label="Model or prefix" name="model" required placeholder="gpt-4o-mini or gpt-4o*" hint="An exact name, or a prefix ending in *" autoComplete="off" error={err("model")} className="lg:col-span-2" />
      <TextField label="Input $/1M" name="inputPerMTok" type="number" step="0.000001" min="0" required error={err("inputPerMTok")} />
      <TextField label="Output $/1M" name="outputPerMTok" type="number" step="0.000001" min="0" required error={err("outputPerMTok")} />
      <TextField label="Cached input $/1M" name="cachedInputPerMTok" type="number" step="0.000001" min="0" hint="Optional" error={err("cachedInputPerMTok")} />
      <TextField label="Effective from (UTC)" name="effectiveFrom" type="datetime-local" required defaultValue={nowUtcInput()} error={err("effectiveFrom")} />
      <div className="lg:col-span-6 flex items-center gap-3">
        <Button type="submit" disabled={pending}>{pending ? "Adding…" : "Add price"}</Button>
        {done && <p role="status" className="text-sm text-emerald-800 dark:text-emerald-300">{done}</p>}
        {error && !error.param && <p role="alert" className="text-sm text-red-700 dark:text-red-400">{error.message}</p>}
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
