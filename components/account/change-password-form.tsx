"use client";
import { useState, useTransition } from "react";
import { changePasswordAction } from "@/app/(console)/account/actions";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";

export function ChangePasswordForm() {
  const [pending, start] = useTransition();
  const [error, setError] = useState<{ message: string; param?: string | null } | null>(null);
  const fieldError = (name: string) => (error?.param === name ? error.message : null);
  return (
    <form
      aria-label="Change password"
      className="grid max-w-md gap-4"
      onSubmit={(e) => {
        e.preventDefault();
        const fd = new FormData(e.currentTarget);
        const newPassword = String(fd.get("newPassword") ?? "");
        if (newPassword !== String(fd.get("confirm") ?? "")) {
          setError({ message: "The two new passwords differ", param: "confirm" });
          return;
        }
        start(async () => {
          // On success the action signs out and redirects; only a refusal comes back.
          const r = await changePasswordAction({ currentPassword: String(fd.get("currentPassword") ?? ""), newPassword });
          if (r && !r.ok) setError(r.error);
        });
      }}
    >
      <TextField label="Current password" name="currentPassword" type="password" autoComplete="current-password" required error={fieldError("currentPassword")} />
      <TextField label="New password" name="newPassword" type="password" autoComplete="new-password" required minLength={10} hint="At least 10 characters" error={fieldError("newPassword")} />
      <TextField label="Repeat the new password" name="confirm" type="password" autoComplete="new-password" required error={fieldError("confirm")} />
      <div>
        <Button type="submit" disabled={pending}>{pending ? "Changing…" : "Change password"}</Button>
      </div>
      {error && !["currentPassword", "newPassword", "confirm"].includes(error.param ?? "") && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">{error.message}</p>
      )}
    </form>
  );
}
