"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { send } from "./send";

export function CreateDatasetForm() {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      aria-label="Create dataset"
      className="flex flex-wrap items-end gap-3"
      onSubmit={async (e) => {
        e.preventDefault();
        const form = new FormData(e.currentTarget);
        setBusy(true);
        setError(null);
        try {
          const d = await send<{ id: string }>("POST", "/api/admin/datasets", { name: form.get("name"), description: form.get("description") ?? "" });
          router.push(`/evaluations/datasets/${d.id}`);
        } catch (err) {
          setError((err as Error).message);
        } finally {
          setBusy(false);
        }
      }}
    >
      <TextField label="Dataset name" name="name" required maxLength={120} error={error} />
      <TextField label="Description" name="description" maxLength={2000} className="min-w-72" />
      <Button type="submit" disabled={busy}>Create dataset</Button>
    </form>
  );
}
