import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import type { SessionUser } from "@/lib/core/types";
import { SidebarToggle } from "./sidebar";
import { ThemeToggle } from "./theme-toggle";
import { WorkspaceSwitcher } from "@/components/workspaces/workspace-switcher";

export function Header({ user, workspaces, signOutAction }: { user: SessionUser; workspaces: { id: string; name: string; role: string }[]; signOutAction: () => Promise<void> }) {
  return (
    <header className="sticky top-0 z-40 flex h-14 items-center gap-3 border-b border-slate-200 bg-white/90 px-4 backdrop-blur dark:border-slate-800 dark:bg-slate-900/90">
      <SidebarToggle />
      <span className="text-lg font-semibold md:hidden">Promptgate</span>
      <WorkspaceSwitcher current={user.workspace?.id ?? ""} options={workspaces} />
      <div className="ml-auto flex items-center gap-3">
        <ThemeToggle />
        <Link href="/account" title="Your account" className="rounded-md px-1 text-sm hover:underline">
          <span className="sm:hidden">Account</span>
          <span className="hidden sm:inline" data-testid="current-user">
            {user.name} <span className="text-slate-600 dark:text-slate-400">({user.email})</span>
          </span>
        </Link>
        <Badge tone={user.role === "admin" ? "indigo" : user.role === "editor" ? "blue" : "gray"}>
          <span data-testid="current-role">{user.role}</span>
        </Badge>
        <form action={signOutAction}>
          <button type="submit" className="rounded-md px-2.5 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100 dark:text-slate-200 dark:hover:bg-slate-800">
            Sign out
          </button>
        </form>
      </div>
    </header>
  );
}
