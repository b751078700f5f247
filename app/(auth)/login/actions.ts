"use server";
import { AuthError } from "next-auth";
import { signIn, SSO_PROVIDER_ID } from "@/lib/auth";

export type LoginState = { error: string | null };

// Only same-site paths: an open redirect via callbackUrl would make phishing easy.
function safeCallback(raw: FormDataEntryValue | null): string {
  const s = typeof raw === "string" ? raw : "/";
  return s.startsWith("/") && !s.startsWith("//") ? s : "/";
}

export async function loginAction(_prev: LoginState, form: FormData): Promise<LoginState> {
  try {
    await signIn("credentials", {
      email: form.get("email"),
      password: form.get("password"),
      redirectTo: safeCallback(form.get("callbackUrl")),
    });
    return { error: null };
  } catch (e) {
    if (e instanceof AuthError) {
      const code = (e as AuthError & { code?: string }).code;
      if (code === "rate_limited") return { error: "Too many sign-in attempts. Wait a few minutes and try again." };
      if (code === "busy") return { error: "Too many sign-ins are being checked right now. Try again in a few seconds." };
      if (code === "password_login_disabled") return { error: "Password sign-in is turned off here. Use single sign-on." };
      return { error: "Invalid email or password, or the account is disabled." };
    }
    throw e; // the redirect after a successful sign-in is thrown, not returned
  }
}

/** The SSO button: Auth.js answers with the identity provider's authorization URL, and the browser goes there. */
export async function ssoSignInAction(form: FormData): Promise<void> {
  await signIn(SSO_PROVIDER_ID, { redirectTo: safeCallback(form.get("callbackUrl")) });
}
