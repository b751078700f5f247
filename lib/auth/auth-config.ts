// The part of the Auth.js configuration that needs no database, shared by the
// proxy (which only reads the session cookie) and the full config.
import type { NextAuthConfig } from "next-auth";
import type { Role } from "@/lib/core";

// Raw reads, not lib/config: this object is built at import, by proxy.ts and by `next build` too, where the
// environment is incomplete. lib/config validates both at start; AUTH_TRUST_HOST is parsed as its `bool` does.
const secureCookies = process.env.AUTH_URL?.startsWith("https://") ?? false;

export const authConfig = {
  // Errors too: a failed or refused single sign-on lands on the sign-in page, which explains known codes.
  pages: { signIn: "/login", error: "/login" },
  session: { strategy: "jwt", maxAge: 12 * 60 * 60 },
  trustHost: !["false", "0", "no"].includes(process.env.AUTH_TRUST_HOST || "true"),
  useSecureCookies: secureCookies,
  providers: [],
  callbacks: {
    jwt({ token, user }) {
      if (user) {
        token.sub = user.id;
        token.role = (user as { role?: Role }).role;
        // The user's session version at sign-in: a later password change ends this session (lib/users activeUser).
        token.sessionVersion = (user as { sessionVersion?: number }).sessionVersion ?? 0;
      }
      return token;
    },
    session({ session, token }) {
      if (token.sub) session.user.id = token.sub;
      session.user.role = token.role as Role;
      session.sessionVersion = token.sessionVersion;
      return session;
    },
  },
} satisfies NextAuthConfig;

declare module "next-auth" {
  interface Session {
    user: { id: string; email: string; name: string; role: Role };
    sessionVersion?: number;
  }
}
declare module "@auth/core/jwt" {
  interface JWT {
    role?: Role;
    sessionVersion?: number;
  }
}
