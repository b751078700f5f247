"use client";
import { useRouter } from "next/navigation";
import { useTransition } from "react";
import { switchWorkspaceAction } from "@/app/(console)/workspaces/actions";

/** The header's workspace switcher: every page shows the workspace chosen here. */
export function WorkspaceSwitcher({ current, options }: { current: string; options: { id: string; name: string; role: string }[] }) {
  const router = useRouter();
  const [pending, start] = useTransition();
  if (options.length <= 1) return <span className="text-xs text-slate-500 dark:text-slate-400" data-testid="workspace-name">{options[0]?.name ?? ""}</span>;
  return (
    <label className="flex items-center gap-1 text-xs text-slate-500 dark:text-slate-400">
      <span className="sr-only sm:not-sr-only">Workspace</span>
      <select
        aria-label="Workspace"
        data-testid="workspace-switcher"
        className="rounded-md border border-slate-300 bg-white px-1.5 py-1 text-xs text-slate-800 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100"
        value={current}
        disabled={pending}
        onChange={(e) => {
          const workspaceId = e.currentTarget.value;
          start(async () => {
            const res = await switchWorkspaceAction({ workspaceId });
            if (res?.ok) router.refresh();
          });
        }}
      >
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name} ({o.role})
          </option>
        ))}
      </select>
    </label>
  );
}
