"use client";
import { useRouter } from "next/navigation";
import { useTransition } from "react";
import { deleteGlobalAction, setGlobalAction } from "@/app/(console)/prompts/actions";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { useActionForm } from "@/components/ui/use-action-form";

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
  const { pending, done, submit, fieldError, formError } = useActionForm(setGlobalAction, {
    fields: ["name"],
    done: (global) => `Saved ${global.name}`,
    reset: true,
    onSuccess: () => router.refresh(),
  });
  return (
    <form
      aria-label="Set a global variable"
      className="grid gap-3 sm:grid-cols-[12rem_1fr_1fr_auto] sm:items-end"
      onSubmit={(e) => {
        e.preventDefault();
        const fd = new FormData(e.currentTarget);
        submit(e.currentTarget, { name: String(fd.get("name") ?? ""), value: parseValue(String(fd.get("value") ?? "")), description: String(fd.get("description") ?? "") });
      }}
    >
      <TextField label="Name" name="name" required autoComplete="off" error={fieldError("name")} />
      <TextField label="Value" name="value" hint="JSON, or plain text" />
      <TextField label="Description" name="description" />
      <Button type="submit" disabled={pending}>{pending ? "Saving…" : "Save"}</Button>
      {formError && <p role="alert" className="text-sm text-red-700 sm:col-span-4">{formError}</p>}
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
