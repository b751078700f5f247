// Signing out must end the session in the browser even while other requests
// of the console are still in flight. The console prefetches every sidebar link
// (and re-prefetches them after each server action), so a click on "Sign out"
// usually races a few page requests that were sent with the session cookie. The
// browser applies each response's Set-Cookie in the order the responses arrive;
// here that order is fixed by hand (a prefetch answered after the sign-out), so
// the race is reproduced every time instead of on a loaded machine only.
// Real `next start`, the credentials flow and the console's own sign-out action.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb } from "@/lib/db";
import { insertUser } from "@/lib/users";
import { startApp, type AppServer } from "../../support/app-server";

const SESSION_COOKIE = "authjs.session-token";

/** The cookies a browser would hold, updated from each response in the order they are applied. */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  apply(res: Response): this {
    for (const line of res.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=.*1970/i.test(a));
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return this;
  }

  has(name: string): boolean {
    return this.cookies.has(name);
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

/** The id of the console header's sign-out action (the one server action in the console layout). */
function signOutActionId(): string {
  const manifest = JSON.parse(readFileSync(join(process.env.PROMPTGATE_DIST_DIR || ".next", "server/server-reference-manifest.json"), "utf8")) as {
    node: Record<string, { filename?: string }>;
  };
  const ids = Object.entries(manifest.node).filter(([, e]) => e.filename === "app/(console)/layout.tsx").map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one server action in the console layout, found ${ids.length}`);
  return ids[0]!;
}

describe("sign-out", () => {
  let app: AppServer;
  const email = `signout-${randomBytes(3).toString("hex")}@foundation.test`;
  const password = `pw-${randomBytes(9).toString("base64url")}`;

  beforeAll(async () => {
    await insertUser({ email, name: "Sign Out", role: "admin", password });
    app = await startApp();
  }, 600_000);

  afterAll(async () => {
    await app?.stop();
    await closeDb();
  });

  async function signIn(jar: CookieJar): Promise<void> {
    const csrf = await fetch(`${app.url}/api/auth/csrf`);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    jar.apply(csrf);
    const res = await fetch(`${app.url}/api/auth/callback/credentials`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: jar.header() },
      body: new URLSearchParams({ csrfToken, email, password, callbackUrl: `${app.url}/` }),
    });
    await res.arrayBuffer();
    jar.apply(res);
  }

  const page = (path: string, cookie: string) => fetch(`${app.url}${path}`, { redirect: "manual", headers: { cookie } });

  it("sign-out race: a page request sent before the sign-out and answered after it does not sign the user back in", async () => {
    const jar = new CookieJar();
    await signIn(jar);
    expect(jar.has(SESSION_COOKIE)).toBe(true);
    const home = await page("/", jar.header());
    await home.arrayBuffer();
    expect(home.status).toBe(200);
    jar.apply(home);

    // A page request sent with the session cookie (the browser's prefetch of a sidebar link); its answer is held back for now.
    const prefetch = await page("/prompts", jar.header());
    await prefetch.arrayBuffer();
    expect(prefetch.status).toBe(200);

    // The header's Sign out button: the console's own server action, answered first.
    const signOut = await fetch(`${app.url}/`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: jar.header(), "next-action": signOutActionId(), "content-type": "text/plain;charset=UTF-8", accept: "text/x-component", origin: app.url },
      body: "[]",
    });
    await signOut.arrayBuffer();
    jar.apply(signOut);
    expect(jar.has(SESSION_COOKIE)).toBe(false);

    // Then the prefetch's answer arrives.
    jar.apply(prefetch);

    const after = await page("/", jar.header());
    await after.arrayBuffer();
    expect(after.status).toBe(307);
    expect(new URL(after.headers.get("location") ?? "", app.url).pathname).toBe("/login");
  });
});
