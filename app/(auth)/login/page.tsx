import { redirect } from "next/navigation";
import { LoginForm } from "@/components/shell/login-form";
import { currentUser } from "@/lib/auth";

export const metadata = { title: "Sign in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string; changed?: string; ended?: string }> }) {
  if (await currentUser()) redirect("/");
  const { callbackUrl, changed, ended } = await searchParams;
  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <div className="w-full max-w-sm rounded-lg border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
        <h1 className="mb-1 flex items-center text-xl font-semibold">
          <span aria-hidden className="mr-2 inline-block h-3 w-3 rounded-sm bg-indigo-600" />
          Promptgate
        </h1>
        <p className="mb-5 text-sm text-slate-600 dark:text-slate-400">Sign in to the console.</p>
        {(changed === "1" || ended === "1") && (
          <p role="status" className="mb-4 rounded-md bg-emerald-50 p-2 text-sm text-emerald-900 dark:bg-emerald-950 dark:text-emerald-200">
            {changed === "1" ? "Your password was changed. Sign in with the new one." : "You were signed out of every session."}
          </p>
        )}
        <LoginForm callbackUrl={callbackUrl ?? "/"} />
      </div>
    </main>
  );
}
