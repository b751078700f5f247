import { redirect } from "next/navigation";
import { LoginForm } from "@/components/shell/login-form";
import { SsoButton } from "@/components/shell/sso-button";
import { currentUser, signInOptions } from "@/lib/auth";

export const metadata = { title: "Sign in" };

// Only known codes are shown: the query string is the visitor's, so it never supplies the text.
const SSO_ERRORS: Record<string, string> = {
  sso_domain: "Sign-in refused: your email domain is not allowed to sign in here. Use your company account, or ask an administrator to allow your domain.",
  sso_disabled: "This account is disabled. Ask an administrator to enable it.",
  sso_email: "Sign-in refused: the identity provider did not confirm an email address for this account.",
};
const SSO_FAILED = "Single sign-on did not complete. Try again, or ask an administrator to check the server log.";
const PASSWORD_CODES: Record<string, string> = {
  password_login_disabled: "Password sign-in is turned off here. Use single sign-on.",
};

type Search = { callbackUrl?: string; changed?: string; ended?: string; error?: string; code?: string; "break-glass"?: string };

export default async function LoginPage({ searchParams }: { searchParams: Promise<Search> }) {
  if (await currentUser()) redirect("/");
  const { callbackUrl, changed, ended, error, code, "break-glass": breakGlassParam } = await searchParams;
  const options = signInOptions();
  const breakGlass = options.breakGlass && breakGlassParam !== undefined;
  const showPassword = options.passwordLogin || breakGlass;
  const message = error ? (code && PASSWORD_CODES[code]) ?? SSO_ERRORS[error] ?? (error === "CredentialsSignin" ? null : SSO_FAILED) : null;
  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <div className="w-full max-w-sm rounded-lg border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
        <h1 className="mb-1 flex items-center text-xl font-semibold">
          <span aria-hidden className="mr-2 inline-block h-3 w-3 rounded-sm bg-indigo-600" />
          Promptgate
        </h1>
        <p className="mb-5 text-sm text-slate-600 dark:text-slate-400">
          {breakGlass ? "Break-glass sign-in for the first-start administrator." : "Sign in to the console."}
        </p>
        {(changed === "1" || ended === "1") && (
          <p role="status" className="mb-4 rounded-md bg-emerald-50 p-2 text-sm text-emerald-900 dark:bg-emerald-950 dark:text-emerald-200">
            {changed === "1" ? "Your password was changed. Sign in with the new one." : "You were signed out of every session."}
          </p>
        )}
        {message && (
          <p role="alert" className="mb-4 rounded-md bg-red-50 p-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">
            {message}
          </p>
        )}
        {options.sso && !breakGlass && <SsoButton displayName={options.sso.displayName} callbackUrl={callbackUrl ?? "/"} primary={!options.passwordLogin} />}
        {options.sso && showPassword && !breakGlass && <p className="my-4 text-center text-xs text-slate-500 dark:text-slate-400">or with a password</p>}
        {showPassword && <LoginForm callbackUrl={callbackUrl ?? "/"} />}
      </div>
    </main>
  );
}
