// Runs for pages only (not /api, not static files): sets a per-request CSP
// nonce and sends signed-out visitors to /login. Authorization is NOT decided
// here; every page, action and route checks roles on the server itself.
import NextAuth, { type NextAuthRequest } from "next-auth";
import { NextResponse, type NextFetchEvent, type NextRequest } from "next/server";
import { authConfig } from "@/lib/auth/auth-config";

const { auth } = NextAuth(authConfig);
const PUBLIC = ["/login"];

function csp(nonce: string): string {
  const dev = process.env.NODE_ENV !== "production";
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

const withSession = auth((req: NextAuthRequest, _event: NextFetchEvent) => {
  const { pathname, search } = req.nextUrl;
  const nonce = Buffer.from(crypto.randomUUID()).toString("base64");
  const policy = csp(nonce);
  const isPublic = PUBLIC.some((p) => pathname === p || pathname.startsWith(`${p}/`));
  if (!req.auth && !isPublic) {
    const to = new URL("/login", req.nextUrl);
    if (pathname !== "/") to.searchParams.set("callbackUrl", pathname + search);
    const redirect = NextResponse.redirect(to);
    redirect.headers.set("Content-Security-Policy", policy);
    return redirect;
  }
  const headers = new Headers(req.headers);
  headers.set("x-nonce", nonce);
  headers.set("content-security-policy", policy);
  const res = NextResponse.next({ request: { headers } });
  res.headers.set("Content-Security-Policy", policy);
  if (req.headers.get("x-forwarded-proto") === "https") {
    res.headers.set("Strict-Transport-Security", "max-age=63072000; includeSubDomains");
  }
  return res;
});

// Auth.js's wrapper re-issues the session cookie (a fresh expiry) on every
// response it handles. The console prefetches its sidebar links, so a click on
// "Sign out" races page requests sent with the cookie; one answered after the
// sign-out would put the ended session back in the browser. So the proxy only
// reads the cookie: sign-in and sign-out are the only writers, and a session
// lasts its maxAge from sign-in (auth-config.ts), not from the last request.
const SESSION_COOKIE = /^(__Secure-)?authjs\.session-token(\.\d+)?=/;

export default async function proxy(req: NextRequest, event: NextFetchEvent) {
  const res = await withSession(req, event);
  if (!res) return res;
  const cookies = res.headers.getSetCookie();
  if (!cookies.some((c) => SESSION_COOKIE.test(c))) return res;
  res.headers.delete("set-cookie");
  for (const c of cookies) if (!SESSION_COOKIE.test(c)) res.headers.append("set-cookie", c);
  return res;
}

// Skips only what really is static: Next's build assets and image optimiser,
// and the files public/ and app/ serve at the root (robots.txt, icon.svg,
// favicon.ico). A suffix alone proves nothing: /prompts/notes.txt is a page.
export const config = {
  matcher: ["/((?!api/|_next/static/|_next/image$|favicon\\.ico$|icon\\.svg$|robots\\.txt$).*)"],
};
