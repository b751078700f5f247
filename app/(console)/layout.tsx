import { Header } from "@/components/shell/header";
import { Sidebar } from "@/components/shell/sidebar";
import { requireRole, signOut } from "@/lib/auth";
import { workspacesOf } from "@/lib/workspaces";

export default async function ConsoleLayout({ children }: { children: React.ReactNode }) {
  const user = await requireRole("viewer", "page");
  const workspaces = await workspacesOf(user);
  async function signOutAction() {
    "use server";
    await signOut({ redirectTo: "/login" });
  }
  return (
    <div className="flex min-h-screen">
      <a href="#main" className="sr-only focus:not-sr-only focus:fixed focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 dark:focus:bg-slate-900">
        Skip to content
      </a>
      <Sidebar role={user.role} instanceAdmin={user.instanceAdmin === true} />
      <div className="flex min-w-0 flex-1 flex-col">
        <Header user={user} workspaces={workspaces} signOutAction={signOutAction} />
        <main id="main" className="mx-auto w-full max-w-7xl flex-1 p-4 sm:p-6">
          {children}
        </main>
      </div>
    </div>
  );
}
