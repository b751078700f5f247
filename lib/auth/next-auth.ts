import "server-only";
import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { headers } from "next/headers";
import { z } from "zod";
import { authenticate, PasswordHasherBusy, passwordHasherFull } from "@/lib/users";
import { logger } from "@/lib/observability";
import { authConfig } from "./auth-config";
import { admitLoginAttempt, releaseLoginAttempt, settleSuccessfulSignIn } from "@/lib/users";
import { clientIpFrom } from "@/lib/core";
import { config } from "@/lib/config";
import { recordAudit } from "@/lib/audit";
import { completeSsoSignIn, oidcProvider, ssoSettings, SSO_PROVIDER_ID } from "./sso";

class RateLimited extends CredentialsSignin {
  code = "rate_limited";
}

/** The password hasher is full (lib/users/passwords.ts): nothing was checked, try again shortly. */
class HasherBusy extends CredentialsSignin {
  code = "busy";
}

/** PASSWORD_LOGIN=false, and this is not the break-glass account. */
class PasswordLoginDisabled extends CredentialsSignin {
  code = "password_login_disabled";
}

/**
 * With PASSWORD_LOGIN=false, only the first-start admin (ADMIN_EMAIL, the account prisma/seed.ts
 * creates) may still sign in with a password, unless PASSWORD_LOGIN_BREAK_GLASS=false: the way back
 * in when the identity provider is down or misconfigured. Decided by the email before any password
 * is checked, on the server, whatever form or endpoint the attempt came through.
 */
function passwordLoginFor(email: string): "allowed" | "break_glass" | "refused" {
  const c = config();
  if (c.PASSWORD_LOGIN) return "allowed";
  return c.PASSWORD_LOGIN_BREAK_GLASS && email === c.ADMIN_EMAIL.trim().toLowerCase() ? "break_glass" : "refused";
}

const credentials = z.object({ email: z.string().trim().toLowerCase().max(254), password: z.string().max(200) });

/** The client IP when a trusted proxy reports it, else null (see client-ip.ts). */
export async function clientIp(): Promise<string | null> {
  return clientIpFrom(await headers());
}

// A function, not an object: the providers depend on lib/config, which is read at the first request,
// never at import (`next build` imports this module without the production environment).
export const { handlers, auth, signIn, signOut } = NextAuth(() => ({
  ...authConfig,
  // Failed sign-ins are expected traffic, not server errors: keep them out of the error log.
  logger: {
    error: (error) => {
      if (error.name === "CredentialsSignin" || (error as { type?: string }).type === "CredentialsSignin") logger.debug("sign-in refused");
      else logger.error({ err: error }, "auth error");
    },
    warn: (code) => logger.warn({ code }, "auth warning"),
    debug: () => {},
  },
  providers: [
    Credentials({
      credentials: { email: { label: "Email" }, password: { label: "Password", type: "password" } },
      async authorize(raw) {
        const parsed = credentials.safeParse(raw);
        if (!parsed.success) return null;
        const { email, password } = parsed.data;
        // A flood is refused before it costs a query: no password would be checked now anyway.
        if (passwordHasherFull()) throw new HasherBusy();
        const ip = await clientIp();
        // Counted before the password is checked (login-rate-limit.ts): a wrong password stays counted.
        const gate = await admitLoginAttempt(email, ip);
        if (!gate.allowed) {
          logger.warn({ ip }, "sign-in rate limited");
          throw new RateLimited();
        }
        const mode = passwordLoginFor(email);
        if (mode === "refused") {
          // After the rate limit, so a flood of refused attempts costs no more audit rows than the limit allows.
          await recordAudit({ kind: "system", name: "sign-in" }, { action: "auth.password.refused", targetType: "user", after: { email, reason: "password_login_disabled" }, ip });
          throw new PasswordLoginDisabled();
        }
        let user: Awaited<ReturnType<typeof authenticate>>;
        try {
          user = await authenticate(email, password);
        } catch (err) {
          if (!(err instanceof PasswordHasherBusy)) throw err;
          await releaseLoginAttempt(email, ip, gate);
          logger.warn({ ip }, "sign-in refused: the password hasher is busy");
          throw new HasherBusy();
        }
        if (!user) return null;
        await settleSuccessfulSignIn(email, ip, gate);
        if (mode === "break_glass") {
          logger.warn({ ip }, "break-glass password sign-in (PASSWORD_LOGIN=false)");
          await recordAudit({ kind: "user", user }, { action: "auth.break_glass.sign_in", targetType: "user", targetId: user.id, ip });
        }
        return user;
      },
    }),
    ...sso(),
  ],
  callbacks: {
    ...authConfig.callbacks,
    async signIn({ user, account, profile }) {
      if (account?.provider !== SSO_PROVIDER_ID) return true;
      return completeSsoSignIn(user, profile, await clientIp());
    },
  },
}));

function sso() {
  const settings = ssoSettings();
  return settings ? [oidcProvider(settings)] : [];
}
