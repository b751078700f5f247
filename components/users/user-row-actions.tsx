"use client";
import { useState, useTransition } from "react";
import { resetUserPasswordAction, setUserDisabledAction, setUserRoleAction } from "@/app/(console)/users/actions";
import { CopyButton } from "@/components/ui/copy-button";
import { Button } from "@/components/ui/button";
import { roles, type Role } from "@/lib/core/types";

type Row = { id: string; email: string; role: Role; disabled: boolean };

export function UserRowActions({ user, isSelf }: { user: Row; isSelf: boolean }) {
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const [newPassword, setNewPassword] = useState<string | null>(null);
  const run = (fn: () => Promise<{ ok: boolean; error?: { message: string } }>) =>
    start(async () => {
      const r = await fn();
      setError(r.ok ? null : (r.error?.message ?? "Failed"));
    });

  return (
    <div className="flex items-center justify-end gap-2">
      <label className="sr-only" htmlFor={`role-${user.id}`}>
        Role for {user.email}
      </label>
      <select
        id={`role-${user.id}`}
        defaultValue={user.role}
        disabled={pending || isSelf}
        onChange={(e) => run(() => setUserRoleAction({ id: user.id, role: e.target.value as Role }))}
        className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-600 dark:bg-slate-900"
      >
        {roles.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <Button
        size="sm"
        variant={user.disabled ? "secondary" : "danger"}
        disabled={pending || isSelf}
        onClick={() => run(() => setUserDisabledAction({ id: user.id, disabled: !user.disabled }))}
      >
        {user.disabled ? "Enable" : "Disable"}
        <span className="sr-only"> {user.email}</span>
      </Button>
      <Button
        size="sm"
        variant="secondary"
        disabled={pending || isSelf}
        title={isSelf ? "Change your own password on your account page" : undefined}
        onClick={() => {
          if (!window.confirm(`Reset the password of ${user.email}? Their sessions end, and they sign in with the new password you pass on.`)) return;
          start(async () => {
            const r = await resetUserPasswordAction({ id: user.id });
            setError(r.ok ? null : r.error.message);
            setNewPassword(r.ok ? r.data.password : null);
          });
        }}
      >
        Reset password<span className="sr-only"> of {user.email}</span>
      </Button>
      {newPassword && (
        <span role="status" className="flex items-center gap-2 text-xs">
          New password (shown once): <code className="rounded bg-slate-100 px-1.5 py-0.5 font-mono dark:bg-slate-800" data-testid="reset-password">{newPassword}</code>
          <CopyButton value={newPassword} />
        </span>
      )}
      {error && <span role="alert" className="text-xs text-red-700 dark:text-red-400">{error}</span>}
    </div>
  );
}
