"use client";
import { changePasswordAction } from "@/app/(console)/account/actions";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { useActionForm } from "@/components/ui/use-action-form";

export function ChangePasswordForm() {
  // On success the action signs out and redirects; only a refusal comes back.
  const { pending, submit, setError, fieldError, formError } = useActionForm(changePasswordAction, { fields: ["currentPassword", "newPassword", "confirm"] });
  return (
    <form
      aria-label="Change password"
      className="grid max-w-md gap-4"
      onSubmit={(e) => {
        e.preventDefault();
        const fd = new FormData(e.currentTarget);
        const newPassword = String(fd.get("newPassword") ?? "");
        if (newPassword !== String(fd.get("confirm") ?? "")) {
          setError({ code: "validation_error", message: "The two new passwords differ", param: "confirm" });
          return;
        }
        submit(e.currentTarget, { currentPassword: String(fd.get("currentPassword") ?? ""), newPassword });
      }}
    >
      <TextField label="Current password" name="currentPassword" type="password" autoComplete="current-password" required error={fieldError("currentPassword")} />
      <TextField label="New password" name="newPassword" type="password" autoComplete="new-password" required minLength={10} hint="At least 10 characters" error={fieldError("newPassword")} />
      <TextField label="Repeat the new password" name="confirm" type="password" autoComplete="new-password" required error={fieldError("confirm")} />
      <div>
        <Button type="submit" disabled={pending}>{pending ? "Changing…" : "Change password"}</Button>
      </div>
      {formError && <p role="alert" className="text-sm text-red-700 dark:text-red-400">{formError}</p>}
    </form>
  );
}
