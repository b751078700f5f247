import { redirect } from "next/navigation";
import { LoginForm } from "@/components/shell/login-form";
import { currentUser } from "@/lib/auth";

export const metadata = { title: "Sign in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string }> }) {
  if (await currentUser()) redirect("/");
  const { callbackUrl } = await searchParams;
  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <div className="w-full max-w-sm rounded-lg border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
        <h1 className="mb-1 flex items-center text-xl font-semibold">
          <span aria-hidden className="mr-2 inline-block h-3 w-3 rounded-sm bg-indigo-600" />
          Promptgate
        </h1>
        <p className="mb-5 text-sm text-slate-600 dark:text-slate-400">Sign in to the console.</p>
        <LoginForm callbackUrl={callbackUrl ?? "/"} />
      </div>
    </main>
  );
}
