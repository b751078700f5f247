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

class RateLimited extends CredentialsSignin {
  code = "rate_limited";
}

/** The password hasher is full (lib/users/passwords.ts): nothing was checked, try again shortly. */
class HasherBusy extends CredentialsSignin {
  code = "busy";
}

const credentials = z.object({ email: z.string().trim().toLowerCase().max(254), password: z.string().max(200) });

/** The client IP when a trusted proxy reports it, else null (see client-ip.ts). */
export async function clientIp(): Promise<string | null> {
  return clientIpFrom(await headers());
}

export const { handlers, auth, signIn, signOut } = NextAuth({
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
        return user;
      },
    }),
  ],
});
