"use client";
import { createWorkspaceAction, removeMemberAction, setMemberAction, updateWorkspaceAction } from "@/app/(console)/workspaces/actions";
import { Button } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import { useActionForm } from "@/components/ui/use-action-form";
import { roles, type Role } from "@/lib/core/types";

const globs = (s: string) => s.split(",").map((m) => m.trim()).filter(Boolean);

function Status({ formError, done }: { formError: string | null | undefined; done: string | null }) {
  return (
    <div className="sm:col-span-full" aria-live="polite">
      {formError && <p role="alert" className="text-sm text-red-700 dark:text-red-400">{formError}</p>}
      {done && <p className="text-sm text-emerald-700 dark:text-emerald-400">{done}</p>}
    </div>
  );
}

export function CreateWorkspaceForm() {
  const { pending, done, submit, fieldError, formError } = useActionForm(createWorkspaceAction, { done: (w) => `Created ${w.name}`, reset: true });
  return (
    <form
      aria-label="Create workspace"
      className="grid gap-3 sm:grid-cols-4 sm:items-end"
      onSubmit={(e) => {
        e.preventDefault();
        const fd = new FormData(e.currentTarget);
        submit(e.currentTarget, { name: String(fd.get("name") ?? ""), slug: String(fd.get("slug") ?? ""), allowedModels: globs(String(fd.get("models") ?? "")) });
      }}
    >
      <TextField label="Name" name="name" required error={fieldError("name")} />
      <TextField label="Slug" name="slug" required error={fieldError("slug")} hint="lowercase letters, digits, dashes" />
      <TextField label="Allowed models" name="models" error={fieldError("allowedModels")} hint="globs, comma-separated; empty: all" />
      <Button type="submit" disabled={pending}>{pending ? "Creating…" : "Create workspace"}</Button>
      <Status formError={formError} done={done} />
    </form>
  );
}

export function EditWorkspaceForm({ workspace }: { workspace: { id: string; name: string; allowedModels: string[] } }) {
  const { pending, done, submit, fieldError, formError } = useActionForm(updateWorkspaceAction, { done: () => "Saved" });
  return (
    <form
      aria-label={`Edit ${workspace.name}`}
      className="grid gap-3 sm:grid-cols-3 sm:items-end"
      onSubmit={(e) => {
        e.preventDefault();
        const fd = new FormData(e.currentTarget);
        submit(e.currentTarget, { id: workspace.id, name: String(fd.get("name") ?? ""), allowedModels: globs(String(fd.get("models") ?? "")) });
      }}
    >
      <TextField label="Name" name="name" defaultValue={workspace.name} required error={fieldError("name")} />
      <TextField label="Allowed models" name="models" defaultValue={workspace.allowedModels.join(", ")} error={fieldError("allowedModels")} hint="empty: all" />
      <Button type="submit" variant="secondary" disabled={pending}>{pending ? "Saving…" : "Save"}</Button>
      <Status formError={formError} done={done} />
    </form>
  );
}

export function MemberForm({ workspaceId }: { workspaceId: string }) {
  const { pending, done, submit, fieldError, formError } = useActionForm(setMemberAction, { done: (m) => `${m.email} is ${m.role}`, reset: true });
  return (
    <form
      aria-label="Add a member"
      className="grid gap-3 sm:grid-cols-3 sm:items-end"
      onSubmit={(e) => {
        e.preventDefault();
        const fd = new FormData(e.currentTarget);
        submit(e.currentTarget, { workspaceId, email: String(fd.get("email") ?? ""), role: String(fd.get("role") ?? "viewer") as Role });
      }}
    >
      <TextField label="Member email" name="email" type="email" required error={fieldError("email")} />
      <SelectField label="Role" name="role" defaultValue="editor">
        {roles.map((r) => (
          <option key={r} value={r}>{r}</option>
        ))}
      </SelectField>
      <Button type="submit" disabled={pending}>{pending ? "Saving…" : "Add or change role"}</Button>
      <Status formError={formError} done={done} />
    </form>
  );
}

export function RemoveMemberButton({ workspaceId, email }: { workspaceId: string; email: string }) {
  const { pending, submit, formError } = useActionForm(removeMemberAction);
  return (
    <form
      aria-label={`Remove ${email}`}
      onSubmit={(e) => {
        e.preventDefault();
        submit(e.currentTarget, { workspaceId, email });
      }}
    >
      <Button type="submit" size="sm" variant="secondary" disabled={pending}>Remove</Button>
      {formError && <p role="alert" className="text-xs text-red-700">{formError}</p>}
    </form>
  );
}
