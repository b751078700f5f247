"use client";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { deleteGlobalAction, setGlobalAction } from "@/app/(console)/prompts/actions";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";

/** Value text as the user means it: JSON when it parses, otherwise a plain string. */
const parseValue = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

export function GlobalVariableForm() {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [error, setError] = useState<{ message: string; param?: string | null } | null>(null);
  const [done, setDone] = useState<string | null>(null);
  return (
    <form
      aria-label="Set a global variable"
      className="grid gap-3 sm:grid-cols-[12rem_1fr_1fr_auto] sm:items-end"
      onSubmit={(e) => {
        e.preventDefault();
        const form = e.currentTarget;
        const fd = new FormData(form);
        start(async () => {
          const r = await setGlobalAction({ name: String(fd.get("name") ?? ""), value: parseValue(String(fd.get("value") ?? "")), description: String(fd.get("description") ?? "") });
          if (!r.ok) return setError(r.error);
          setError(null);
          setDone(`Saved ${r.data.name}`);
          form.reset();
          router.refresh();
        });
      }}
    >
      <TextField label="Name" name="name" required autoComplete="off" error={error?.param === "name" ? error.message : null} />
      <TextField label="Value" name="value" hint="JSON, or plain text" />
      <TextField label="Description" name="description" />
      <Button type="submit" disabled={pending}>{pending ? "Saving…" : "Save"}</Button>
      {error && error.param !== "name" && <p role="alert" className="text-sm text-red-700 sm:col-span-4">{error.message}</p>}
      {done && <p role="status" className="text-sm text-emerald-800 sm:col-span-4 dark:text-emerald-300">{done}</p>}
    </form>
  );
}

export function DeleteGlobalButton({ name }: { name: string }) {
  const router = useRouter();
  const [pending, start] = useTransition();
  return (
    <Button size="sm" variant="ghost" disabled={pending} onClick={() => start(async () => {
      if (!window.confirm(`Delete the global variable ${name}? Prompts that use it will fail until it is set again.`)) return;
      await deleteGlobalAction(name);
      router.refresh();
    })}>
      Delete<span className="sr-only"> {name}</span>
    </Button>
  );
}
