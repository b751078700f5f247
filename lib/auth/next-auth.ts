import "server-only";
import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { headers } from "next/headers";
import { z } from "zod";
import { authenticate } from "@/lib/users";
import { logger } from "@/lib/observability";
import { authConfig } from "./auth-config";
import { checkLoginAllowed, clearLoginFailures, recordLoginFailure } from "./login-rate-limit";
import { clientIpFrom } from "./client-ip";

class RateLimited extends CredentialsSignin {
  code = "rate_limited";
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
        const ip = await clientIp();
        const gate = await checkLoginAllowed(email, ip);
        if (!gate.allowed) {
          logger.warn({ ip }, "sign-in rate limited");
          throw new RateLimited();
        }
        const user = await authenticate(email, password);
        if (!user) {
          await recordLoginFailure(email, ip);
          return null;
        }
        await clearLoginFailures(email);
        return user;
      },
    }),
  ],
});
