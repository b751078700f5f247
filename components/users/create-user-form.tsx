"use client";
import { createUserAction } from "@/app/(console)/users/actions";
import { Button } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import { useActionForm } from "@/components/ui/use-action-form";
import { roles, type Role } from "@/lib/core/types";

export function CreateUserForm() {
  const { pending, done, submit, fieldError, formError } = useActionForm(createUserAction, { done: (user) => `Created ${user.email}`, reset: true });

  return (
    <form
      aria-label="Create user"
      className="grid gap-3 sm:grid-cols-2 lg:grid-cols-5 lg:items-end"
      onSubmit={(e) => {
        e.preventDefault();
        const fd = new FormData(e.currentTarget);
        const text = (k: string) => String(fd.get(k) ?? "");
        // The select offers only the roles; the server checks it again.
        submit(e.currentTarget, { email: text("email"), name: text("name"), role: text("role") as Role, password: text("password") });
      }}
    >
      <TextField label="Name" name="name" required autoComplete="off" error={fieldError("name")} />
      <TextField label="Email" name="email" type="email" required autoComplete="off" error={fieldError("email")} />
      <SelectField label="Role" name="role" defaultValue="viewer">
        {roles.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </SelectField>
      <TextField label="Password" name="password" type="password" required minLength={10} autoComplete="new-password" error={fieldError("password")} hint="At least 10 characters" />
      <Button type="submit" disabled={pending}>
        {pending ? "Creating…" : "Create user"}
      </Button>
      <div className="sm:col-span-2 lg:col-span-5" aria-live="polite">
        {formError && <p role="alert" className="text-sm text-red-700 dark:text-red-400">{formError}</p>}
        {done && <p className="text-sm text-emerald-700 dark:text-emerald-400">{done}</p>}
      </div>
    </form>
  );
}
